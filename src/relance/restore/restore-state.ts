import { Injectable } from '@nestjs/common';

/** How far the boot restore has got: reported by the health routes, never a reason to be unready. */
export interface RestoreProgress {
  /** True from boot until every stored session has had its restore attempt. */
  running: boolean;
  /** Sessions to restore (0 until the stored sessions have been listed). */
  total: number;
  /** Sessions whose restore attempt has ended, whatever its outcome. */
  done: number;
}

/** The boot restore's progress; SessionRestoreService is its only writer. */
@Injectable()
export class RestoreState {
  private finished = false;
  private total = 0;
  private done = 0;

  markStarted(total: number): void {
    this.total = total;
    this.done = 0;
  }

  markOneDone(): void {
    this.done += 1;
  }

  markFinished(): void {
    this.finished = true;
  }

  isFinished(): boolean {
    return this.finished;
  }

  progress(): RestoreProgress {
    return { running: !this.finished, total: this.total, done: this.done };
  }
}

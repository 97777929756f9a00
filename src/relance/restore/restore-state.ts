import { Injectable } from '@nestjs/common';

/** Whether boot restore has finished (readiness depends on it). */
@Injectable()
export class RestoreState {
  private finished = false;

  markFinished(): void {
    this.finished = true;
  }

  isFinished(): boolean {
    return this.finished;
  }
}

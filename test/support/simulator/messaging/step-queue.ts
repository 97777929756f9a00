/**
 * Runs messaging steps one at a time, in the order they were asked for, so Signal sessions on both sides
 * advance in a fixed order (a client's message, a contact's reply, a read receipt…).
 */
export class StepQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.last.then(step);
    // `result` carries a failure to this step's caller; the queue only needs to know the step is over.
    this.last = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** What the edge answers to an iq: the children of its result. */
import type { BinaryNode } from '@whiskeysockets/baileys';

/** `known` is false for iqs the simulator has no model of; they still get an empty result. */
export interface IqAnswer {
  readonly known: boolean;
  readonly content?: BinaryNode[];
}

export const EMPTY_ANSWER: IqAnswer = { known: true };
export const UNKNOWN_IQ_ANSWER: IqAnswer = { known: false };
export const answerWith = (...content: BinaryNode[]): IqAnswer => ({
  known: true,
  content,
});

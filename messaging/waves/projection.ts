// The projected finish shown before a wave is approved: a simulation of one throttled sender working
// through the wave's deliveries, so staff see "last text goes Thursday 10:14" instead of a guess.
//
// The model, matching how the wave worker claims deliveries:
// - Deliveries go in order of when they are due (ties keep the input order).
// - The sender hands one message to the provider at a time, at most `ratePerSecond` per second: the
//   first goes at once, the next 1/rate seconds later, so 10 messages at 2/s finish 4.5 s after start.
// - Nothing goes before its due time or before `start`; an idle sender waits for the next due item.
// - With quiet hours, a text the sender reaches outside the recipient's window is not sent and does
//   not hold up the rest: it is moved to the next opening (`nextSmsOpening`) and rejoins the queue
//   there, as the worker does when it reschedules a claimed delivery. It counts once in
//   `deferredByQuietHours`, however many nights it waits. Items without a recipient are emails.
// `finishAt` is the moment the last message is handed over (equal to `start` for no items).
import { nextSmsOpeningMs, type SmsRecipient } from './quiet-hours.ts';

export interface ProjectionItem {
  dueAt: Date;
  recipient?: SmsRecipient;
}

export interface ProjectionInput {
  items: readonly ProjectionItem[];
  ratePerSecond: number;
  quietHours: boolean;
  start: Date;
}

export interface Projection {
  finishAt: Date;
  deferredByQuietHours: number;
}

export function projectFinish(input: ProjectionInput): Projection {
  const { items, ratePerSecond, quietHours } = input;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
  }
  const startMs = input.start.getTime();
  const spacingMs = 1000 / ratePerSecond;
  const count = items.length;

  const due = new Float64Array(count);
  for (let i = 0; i < count; i++) due[i] = items[i]!.dueAt.getTime();
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((a, b) => due[a]! - due[b]! || a - b);

  // Deferred texts wait in a heap keyed by (new due time, sequence); the rest are read from `order`.
  const heap = new DeferredHeap();
  const deferred = new Uint8Array(count);
  let deferredCount = 0;
  let next = 0;
  let sequence = count;
  let clock = startMs; // earliest moment the sender may hand over the next message
  let lastSentMs: number | null = null;

  while (next < count || heap.size > 0) {
    let index: number;
    let dueMs: number;
    const fromOrder = next < count ? order[next]! : -1;
    if (fromOrder >= 0 && (heap.size === 0 || due[fromOrder]! <= heap.peekDue())) {
      index = fromOrder;
      dueMs = due[fromOrder]!;
      next++;
    } else {
      dueMs = heap.peekDue();
      index = heap.pop();
    }
    const sendAt = Math.max(clock, dueMs);
    const recipient = items[index]!.recipient;
    if (quietHours && recipient) {
      const opening = nextSmsOpeningMs(sendAt, recipient);
      if (opening > sendAt) {
        if (deferred[index] === 0) {
          deferred[index] = 1;
          deferredCount++;
        }
        heap.push(opening, sequence++, index);
        continue;
      }
    }
    lastSentMs = sendAt;
    clock = sendAt + spacingMs;
  }

  return { finishAt: new Date(Math.round(lastSentMs ?? startMs)), deferredByQuietHours: deferredCount };
}

/**
 * Messages per second a sender allows when each message takes `segmentsPerMessage` segments (a long
 * Spanish text in UCS-2 can take three). Senders are rated in segments: 1/s per long code, 3/s toll-free.
 */
export function segmentsPerSecondToMessages(segmentsPerSecond: number, segmentsPerMessage: number): number {
  if (!(segmentsPerSecond > 0) || !Number.isFinite(segmentsPerSecond)) {
    throw new RangeError(`segmentsPerSecond must be a positive number, got ${segmentsPerSecond}`);
  }
  if (!(segmentsPerMessage >= 1) || !Number.isFinite(segmentsPerMessage)) {
    throw new RangeError(`segmentsPerMessage must be at least 1, got ${segmentsPerMessage}`);
  }
  return segmentsPerSecond / segmentsPerMessage;
}

/** A binary min-heap of item indices keyed by (due, sequence), in parallel arrays. */
class DeferredHeap {
  private readonly due: number[] = [];
  private readonly seq: number[] = [];
  private readonly index: number[] = [];

  get size(): number {
    return this.index.length;
  }

  peekDue(): number {
    return this.due[0]!;
  }

  push(due: number, seq: number, index: number): void {
    // Sift the hole up from the end, then drop the new entry into it.
    let i = this.index.length;
    this.due.push(due);
    this.seq.push(seq);
    this.index.push(index);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentDue = this.due[parent]!;
      if (parentDue < due || (parentDue === due && this.seq[parent]! < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.due[i] = due;
    this.seq[i] = seq;
    this.index[i] = index;
  }

  pop(): number {
    const top = this.index[0]!;
    const due = this.due.pop()!;
    const seq = this.seq.pop()!;
    const index = this.index.pop()!;
    const n = this.index.length;
    if (n === 0) return top;
    // Sift the hole down from the root, then drop the former last entry into it.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.before(right, child)) child = right;
      const childDue = this.due[child]!;
      if (due < childDue || (due === childDue && seq < this.seq[child]!)) break;
      this.move(child, i);
      i = child;
    }
    this.due[i] = due;
    this.seq[i] = seq;
    this.index[i] = index;
    return top;
  }

  private before(a: number, b: number): boolean {
    const da = this.due[a]!;
    const db = this.due[b]!;
    return da < db || (da === db && this.seq[a]! < this.seq[b]!);
  }

  private move(from: number, to: number): void {
    this.due[to] = this.due[from]!;
    this.seq[to] = this.seq[from]!;
    this.index[to] = this.index[from]!;
  }
}

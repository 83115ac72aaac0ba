/**
 * What a channel answers for one message. `rejected`: the provider refused this recipient or message
 * (an unsubscribed or invalid number, a mailbox that does not exist): retrying will not help.
 * `unavailable`: the provider could not be reached or asked us to slow down: a later retry may work.
 * `detail` names the provider's code, never an address or a body.
 */
export type ChannelSendResult =
  { ok: true; messageId: string } | { ok: false; reason: 'rejected' | 'unavailable'; detail?: string };

// Signed references to a ticket: in the reply address and Message-ID of every notice (so an email reply
// threads to its ticket, never by subject), and in the link that lets someone who wrote without signing
// in read our answer. A token names the ticket and carries an HMAC; a forged or altered one is ignored.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TicketTokenPurpose = 'thread' | 'read';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface TicketTokens {
  /** `<uuid without dashes>.<mac>`: safe in an email local part and a Message-ID. */
  sign(purpose: TicketTokenPurpose, ticketId: string): string;
  /** The ticket id a token names, or null when it is not one of ours. */
  verify(purpose: TicketTokenPurpose, token: string): string | null;
  /** support+<token>@domain, from SUPPORT_REPLY_ADDRESS. */
  replyAddress(ticketId: string): string;
  /** <ticket.<token>@domain>: the Message-ID of a notice, which a reply names in In-Reply-To. */
  messageId(ticketId: string): string;
  /**
   * The ticket an inbound email names through a signed token: in a recipient (the reply address), then
   * in In-Reply-To and References. Null when none verifies (a forged token starts a new ticket).
   */
  ticketOf(email: {
    recipients: readonly string[];
    inReplyTo: string | null;
    references: readonly string[];
  }): string | null;
}

export function createTicketTokens(secret: string, replyAddress: string): TicketTokens {
  const at = replyAddress.lastIndexOf('@');
  const local = replyAddress.slice(0, at);
  const domain = replyAddress.slice(at + 1).toLowerCase();
  const mac = (purpose: TicketTokenPurpose, compact: string) =>
    createHmac('sha256', secret)
      .update(`ticket:${purpose}:${compact}`)
      .digest('base64url')
      .slice(0, 22)
      // Email local parts are case-insensitive in practice: keep the token in one case.
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0');

  function sign(purpose: TicketTokenPurpose, ticketId: string): string {
    const compact = ticketId.replace(/-/g, '').toLowerCase();
    return `${compact}.${mac(purpose, compact)}`;
  }

  function verify(purpose: TicketTokenPurpose, token: string): string | null {
    const match = /^([0-9a-f]{32})\.([0-9a-z]{22})$/.exec(token.trim().toLowerCase());
    if (!match) return null;
    const [, compact, given] = match;
    const expected = Buffer.from(mac(purpose, compact!));
    if (!timingSafeEqual(expected, Buffer.from(given!))) return null;
    const id = `${compact!.slice(0, 8)}-${compact!.slice(8, 12)}-${compact!.slice(12, 16)}-${compact!.slice(16, 20)}-${compact!.slice(20)}`;
    return UUID.test(id) ? id : null;
  }

  const tokenIn = /(?:^|[+.])([0-9a-f]{32}\.[0-9a-z]{22})(?=@|$)/i;
  function fromAddress(address: string): string | null {
    const [user = '', host = ''] = address.toLowerCase().split('@');
    if (host !== domain) return null;
    const found = tokenIn.exec(user);
    return found ? verify('thread', found[1]!) : null;
  }

  return {
    sign,
    verify,
    replyAddress: (ticketId) => `${local}+${sign('thread', ticketId)}@${domain}`,
    messageId: (ticketId) => `<ticket.${sign('thread', ticketId)}.${Date.now().toString(36)}@${domain}>`,
    ticketOf(email) {
      for (const recipient of email.recipients) {
        const id = fromAddress(recipient);
        if (id) return id;
      }
      for (const ref of [email.inReplyTo, ...[...email.references].reverse()]) {
        if (!ref) continue;
        const found = /^ticket\.([0-9a-f]{32}\.[0-9a-z]{22})\.[0-9a-z]+@(.+)$/i.exec(
          ref.replace(/^<|>$/g, ''),
        );
        if (found && found[2]!.toLowerCase() === domain) {
          const id = verify('thread', found[1]!);
          if (id) return id;
        }
      }
      return null;
    },
  };
}

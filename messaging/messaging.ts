// Wires the outbound channels and the sign-in delivery from the configuration, once, at start-up.
import type { Db } from '../db/client.ts';
import type { DeliverSignInMessage } from '../identity/sign-in-delivery.ts';
import type { Config } from '../infra/env.ts';
import type { Logger } from '../infra/logger.ts';
import { createEmailChannel, type EmailChannel } from './channels/email.ts';
import { createSmsChannel, type SmsChannel } from './channels/sms.ts';
import { createSignInDelivery } from './sign-in-messages.ts';

export interface Messaging {
  email: EmailChannel;
  sms: SmsChannel;
  deliverSignIn: DeliverSignInMessage;
  /** Closes pooled SMTP connections and kept-alive Twilio connections. */
  close(): Promise<void>;
}

export function createMessaging(deps: {
  config: Pick<Config, 'messaging' | 'email' | 'brand' | 'publicUrl'>;
  db: Db;
  logger: Logger;
}): Messaging {
  const { config, db, logger } = deps;
  const email = createEmailChannel({
    smtpUrl: config.messaging.smtpUrl,
    from: config.messaging.mailFrom,
    dkim: config.email.dkim,
    db,
    logger,
  });
  const sms = createSmsChannel({ twilio: config.messaging.twilio, db, logger });
  const deliverSignIn = createSignInDelivery({
    email,
    sms,
    brand: config.brand,
    publicUrl: config.publicUrl,
  });
  logger.info({ emailChannel: email.mode, smsChannel: sms.mode }, 'messaging channels ready');
  return {
    email,
    sms,
    deliverSignIn,
    async close() {
      await Promise.all([email.close(), sms.close()]);
    },
  };
}

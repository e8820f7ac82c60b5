import type { ChannelConfig } from './channel.schemas.ts';
import { type Channel, ChannelError, type ChannelOptions, DEFAULT_TIMEOUT_MS } from './channel.types.ts';
import { emailChannel } from './email.channel.ts';
import { slackChannel, smsChannel, teamsChannel, webhookChannel } from './http.channels.ts';

export * from './channel.schemas.ts';
export * from './channel.types.ts';
export { verifyWebhookSignature, signWebhook } from './webhook-signature.ts';
export { smsText } from './page-text.ts';

/**
 * The sender for one stored channel configuration (parse it with `channelConfigSchema` first). `send` hands one page to
 * the channel within `timeoutMs` (default 10 s) and resolves with the far side's receipt, or rejects with a
 * ChannelError whose `retryable` says whether to try this channel again or fall back to the next one.
 */
export function createChannel(config: ChannelConfig, opts: ChannelOptions = {}): Channel {
  const ctx = { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, now: opts.now ?? (() => new Date()) };
  const channel = build(config, ctx);
  const send = channel.send.bind(channel);
  return {
    ...channel,
    // The outbox relies on one error type: anything unforeseen becomes a non-retryable ChannelError.
    async send(msg) {
      try {
        return await send(msg);
      } catch (e) {
        throw e instanceof ChannelError
          ? e
          : new ChannelError('failed', `unexpected: ${(e as Error)?.message ?? String(e)}`, false);
      }
    },
  };
}

function build(config: ChannelConfig, ctx: { timeoutMs: number; now: () => Date }): Channel {
  switch (config.kind) {
    case 'email':
      return emailChannel(config, ctx);
    case 'webhook':
      return webhookChannel(config, ctx);
    case 'slack':
      return slackChannel(config, ctx);
    case 'teams':
      return teamsChannel(config, ctx);
    case 'sms':
      return smsChannel(config, ctx);
  }
}

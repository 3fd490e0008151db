/**
 * The channels Hookline sends on, named as Infobip names them in `messages.channel`, reports and
 * request bodies. One list, so the APIs that send (SMS, Messages API, WhatsApp, Email) and the
 * simulated network that decides each channel's events agree on every name.
 */
export const CHANNEL = {
  SMS: 'SMS',
  WHATSAPP: 'WHATSAPP',
  VIBER_BM: 'VIBER_BM',
  RCS: 'RCS',
  EMAIL: 'EMAIL',
} as const;
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

/** Chat channels: a delivered message is then SEEN, and the person may reply to it. */
export const CHAT_CHANNELS: ReadonlySet<string> = new Set([CHANNEL.WHATSAPP, CHANNEL.VIBER_BM, CHANNEL.RCS]);

/** The Messages API's channels Hookline sends on (the spec has more; those are refused by name). */
export const MESSAGES_API_CHANNELS: readonly string[] = [CHANNEL.SMS, CHANNEL.WHATSAPP, CHANNEL.VIBER_BM, CHANNEL.RCS];

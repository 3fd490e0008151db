/**
 * A checked `/email/3/send` request → one OutboundRequest for intake (family 'email', channel
 * EMAIL): one message per `to` recipient, each with its own message id, as Infobip answers
 * ("each recipient will see just their own email … a unique messageId for each email recipient").
 * With `preserveRecipients` every `to` recipient shares one message (one messageId): its report is
 * about the first address, and all of them are kept in the message's options.
 *
 * cc and bcc recipients travel with each message (kept in options), not as messages of their own.
 * Everything the simulated network does not read is kept in options too, so logs and later
 * features see the request as it was: subject, html, the template, placeholders, headers, and
 * attachments as metadata only (name, size, content type; the bytes were never stored).
 */
import { newBulkId, newMessageId } from '../../lib/ids.ts';
import { compact } from '../../lib/payload.ts';
import { CHANNEL } from '../../messaging/channels.ts';
import { MAX_VALIDITY_MS, type OutboundDraft, type OutboundRequest } from '../../messaging/outbound.ts';
import type { EmailTrackingOptions } from '../../network/connector.ts';
import type { EmailSendRequest, Recipient } from './send-request.ts';

/**
 * `track` switches opens and clicks together, `trackOpens` / `trackClicks` override it one by one
 * (the spec's words); with none of them both are tracked, as on an Infobip account's defaults.
 */
export function trackingRequested(request: Pick<EmailSendRequest, 'track' | 'trackOpens' | 'trackClicks'>): EmailTrackingOptions {
  return { opens: request.trackOpens ?? request.track ?? true, clicks: request.trackClicks ?? request.track ?? true };
}

const some = <T>(items: T[]) => (items.length ? items : undefined);
const orUndefined = <T>(value: T | null) => value ?? undefined;

/** The options every message of the request shares. */
function sharedOptions(r: EmailSendRequest): Record<string, unknown> {
  const template = r.templateId !== null;
  return {
    subject: orUndefined(r.subject),
    // "If templateId is present, then html and text values are ignored."
    html: template ? undefined : orUndefined(r.html),
    ampHtml: template ? undefined : orUndefined(r.ampHtml),
    templateId: orUndefined(r.templateId),
    templateLanguageVersion: orUndefined(r.templateLanguageVersion),
    fromName: orUndefined(r.from?.name ?? null),
    replyTo: orUndefined(r.replyTo),
    cc: some(r.cc),
    bcc: some(r.bcc),
    attachments: some(r.attachments),
    inlineImages: some(r.inlineImages),
    // Stored for the network, which plays OPEN and CLICK events only where they are tracked.
    emailTracking: trackingRequested(r),
    trackingPixelPosition: orUndefined(r.trackingPixelPosition),
    defaultPlaceholders: orUndefined(r.defaultPlaceholders),
    headers: orUndefined(r.headers),
    landingPageId: orUndefined(r.landingPageId),
    landingPagePlaceholders: orUndefined(r.landingPagePlaceholders),
    clientPriority: orUndefined(r.clientPriority),
    ipPoolId: orUndefined(r.ipPoolId),
    skipPassiveStorage: orUndefined(r.skipPassiveStorage),
    skipActiveStorage: orUndefined(r.skipActiveStorage),
  };
}

function draftOf(r: EmailSendRequest, index: number, recipient: Recipient, extra: Record<string, unknown>): OutboundDraft {
  const clientMessageId = r.messageId ?? undefined;
  return {
    path: `to[${index}]`,
    clientMessageId,
    messageId: clientMessageId ?? newMessageId(),
    to: recipient.address,
    sender: r.from?.address ?? null,
    text: r.templateId !== null ? '' : (r.text ?? ''),
    binary: false,
    channel: CHANNEL.EMAIL,
    notifyUrl: r.notifyUrl,
    notifyUrlPath: 'notifyUrl',
    engagementUrl: r.trackingUrl,
    engagementUrlPath: 'trackingUrl',
    contentType: r.notifyContentType,
    notify: true,
    intermediate: r.intermediateReport,
    callbackData: r.callbackData,
    validityMs: MAX_VALIDITY_MS,
    sendAt: r.sendAt,
    entityId: r.entityId,
    applicationId: r.applicationId,
    campaignReferenceId: r.campaignReferenceId,
    // Email clicks are the network's CLICK events (options.emailTracking), not SMS short links.
    linkTracking: null,
    failover: null,
    failoverReports: false,
    options: compact({ ...sharedOptions(r), placeholders: recipient.placeholders, ...extra }),
  };
}

export function toOutbound(r: EmailSendRequest): OutboundRequest {
  const drafts = r.preserveRecipients
    ? [draftOf(r, 0, r.to[0], { preserveRecipients: true, to: r.to })]
    : r.to.map((recipient, i) => draftOf(r, i, recipient, {}));
  return { family: 'email', bulkId: r.bulkId ?? newBulkId(), sendAt: r.sendAt, includeCount: false, drafts };
}

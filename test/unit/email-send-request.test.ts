/**
 * `/email/3/send`'s fields checked as the spec describes them (src/channels/email/send-request.ts)
 * and mapped to intake drafts (src/channels/email/outbound.ts): one message per `to` recipient,
 * everything else in the draft's options, attachments as metadata only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttachmentInfo, EmailForm } from '../../src/channels/email/form.ts';
import { trackingRequested, toOutbound } from '../../src/channels/email/outbound.ts';
import { MAX_ADDRESS_FIELD, MAX_EMAIL_CONTENT_BYTES, MAX_EMAIL_RECIPIENTS, parseSendRequest, parseSender } from '../../src/channels/email/send-request.ts';
import { ApiError } from '../../src/http/errors.ts';
import { MAX_VALIDITY_MS } from '../../src/messaging/outbound.ts';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);

function form(fields: Record<string, string | string[]>, files: Partial<EmailForm['files']> = {}): EmailForm {
  return {
    fields: new Map(Object.entries(fields).map(([k, v]) => [k, [v].flat()])),
    files: { attachment: [], inlineImage: [], ...files },
    misplaced: { files: [], texts: [] },
  };
}

const BASIC = { from: 'Jane Smith <jane.smith@somecompany.com>', to: 'john.smith@somedomain.com', subject: 'Hello', text: 'Body' };

/** The violations a refused form gets, as property → messages. */
function violations(f: EmailForm): Record<string, string[]> {
  try {
    parseSendRequest(f, NOW);
  } catch (error) {
    assert.ok(error instanceof ApiError && error.kind === 'BAD_REQUEST', String(error));
    const out: Record<string, string[]> = {};
    for (const v of error.options.violations ?? []) (out[v.property] ??= []).push(v.violation);
    return out;
  }
  assert.fail('the form was accepted');
}

describe('email send request: sender', () => {
  it('reads a bare address, a named one and a quoted name', () => {
    assert.deepEqual(parseSender('jane@example.com'), { address: 'jane@example.com', name: null });
    assert.deepEqual(parseSender('Jane Smith <jane.smith@somecompany.com>'), { address: 'jane.smith@somecompany.com', name: 'Jane Smith' });
    assert.deepEqual(parseSender('"Smith, Jane" <jane@example.com>'), { address: 'jane@example.com', name: 'Smith, Jane' });
    for (const bad of ['Jane', 'jane@', '<jane@example.com', 'a b@example.com', 'Jane <not an address>']) assert.equal(parseSender(bad), null, bad);
  });

  it('spaces around the name and the brackets, an unbalanced quote; angle brackets or quotes inside the name are refused', () => {
    assert.deepEqual(parseSender('  Jane   Smith   <  jane@example.com >  '), { address: 'jane@example.com', name: 'Jane   Smith' });
    assert.deepEqual(parseSender('"Jane <jane@example.com>'), { address: 'jane@example.com', name: 'Jane' });
    assert.deepEqual(parseSender('<jane@example.com>'), { address: 'jane@example.com', name: null });
    for (const bad of ['a<b <jane@example.com>', 'Jane "x" <jane@example.com>', 'Jane <jane@example.com', 'Jane jane@example.com>', 'Jane <<jane@example.com>>']) {
      assert.equal(parseSender(bad), null, bad);
    }
  });

  it('hostile input is read in linear time (a backtracking regex took 3 s on the first one)', () => {
    const hostile = ['a' + ' '.repeat(40_000) + '<', '"' + ' '.repeat(40_000) + '<x', 'a' + ' '.repeat(40_000) + '<jane@example.com>', 'a@' + 'b.'.repeat(20_000) + ' '];
    for (const value of hostile) {
      const started = performance.now();
      parseSender(value);
      const ms = performance.now() - started;
      assert.ok(ms < 50, `${value.slice(0, 20)}…: ${ms.toFixed(1)} ms`);
    }
  });
});

describe('email send request: validation', () => {
  it('the spec example is accepted as sent (placeholders, headers, tracking, all of it)', () => {
    const r = parseSendRequest(
      form({
        ...BASIC,
        to: ['john.smith@somedomain.com', 'alice.smith@somedomain.com', '{"to": "alice.grey@somecompany.com", "placeholders": {"name":"Alice"}}'],
        cc: '{"to": "jane.grey@somecompany.com", "placeholders": {"name":"Jane"}}',
        replyTo: 'all.replies@somedomain.com',
        html: '<h1>Html body</h1><p>Rich HTML message body.</p>',
        bulkId: 'customBulkId',
        intermediateReport: 'true',
        defaultPlaceholders: '{"ph1": "Success", "ph2": "Example"}',
        headers: '{"List-Unsubscribe": "your unsubscribe link", "X-Custom-Header": "Header value"}',
        notifyUrl: 'https://www.example.com/email/advanced',
        notifyContentType: 'application/json',
        trackClicks: 'true',
        trackOpens: 'false',
        trackingPixelPosition: 'TOP',
        callbackData: 'DLR callback data',
        ipPoolId: '08A3A7608750CC6E6080325A6ADF45B6',
      }),
      NOW,
    );
    assert.deepEqual(r.to, [{ address: 'john.smith@somedomain.com' }, { address: 'alice.smith@somedomain.com' }, { address: 'alice.grey@somecompany.com', placeholders: { name: 'Alice' } }]);
    assert.deepEqual(r.cc, [{ address: 'jane.grey@somecompany.com', placeholders: { name: 'Jane' } }]);
    assert.deepEqual(r.from, { address: 'jane.smith@somecompany.com', name: 'Jane Smith' });
    assert.equal(r.intermediateReport, true);
    assert.equal(r.trackOpens, false);
    assert.equal(r.trackClicks, true);
    assert.deepEqual(r.defaultPlaceholders, { ph1: 'Success', ph2: 'Example' });
    assert.equal(r.bulkId, 'customBulkId');
  });

  it('from, to, subject and a body are required; a template stands in for from, subject and body', () => {
    assert.deepEqual(violations(form({})), {
      from: ['must not be blank'],
      to: ['must not be empty'],
      subject: ['must not be blank'],
      text: ['one of text, html or templateId must be given'],
    });
    const r = parseSendRequest(form({ to: 'a@example.com', templateId: '42' }), NOW);
    assert.equal(r.templateId, 42);
    assert.equal(r.from, null);
    // html alone is a body too; empty fields count as absent.
    assert.equal(parseSendRequest(form({ ...BASIC, text: '', html: '<p>x</p>' }), NOW).text, null);
  });

  it('types: booleans, the template id, enums, JSON fields, the sender', () => {
    assert.deepEqual(
      violations(
        form({
          ...BASIC,
          from: 'nobody',
          intermediateReport: 'yes',
          templateId: '4x',
          notifyContentType: 'text/plain',
          trackingPixelPosition: 'MIDDLE',
          clientPriority: 'URGENT',
          defaultPlaceholders: '["a"]',
          headers: '{not json',
        }),
      ),
      {
        from: ['must be an email address, optionally with a name: Jane Smith <jane.smith@example.com>'],
        intermediateReport: ['must be true or false'],
        templateId: ['must be a positive whole number'],
        notifyContentType: ['must be one of application/json, application/xml'],
        trackingPixelPosition: ['must be one of TOP, BOTTOM'],
        clientPriority: ['must be one of HIGH, STANDARD, LOW'],
        defaultPlaceholders: ['must be a JSON object'],
        headers: ['must be a JSON object'],
      },
    );
    // Booleans as the spec's examples write them, in any case.
    assert.equal(parseSendRequest(form({ ...BASIC, track: 'FALSE' }), NOW).track, false);
  });

  it('sizes: subject, callbackData, bulkId, messageId; the recipient total; a scalar given twice', () => {
    const many = Array.from({ length: MAX_EMAIL_RECIPIENTS }, (_, i) => `r${i}@example.com`);
    assert.deepEqual(
      violations(form({ ...BASIC, subject: 's'.repeat(1001), callbackData: 'c'.repeat(4001), bulkId: 'b'.repeat(101), messageId: 'm'.repeat(201), cc: many, text: ['one', 'two'] })),
      {
        subject: ['size must be between 0 and 1000'],
        callbackData: ['size must be between 0 and 4000'],
        bulkId: ['size must be between 0 and 100'],
        messageId: ['size must be between 0 and 200'],
        to: [`to, cc and bcc must not hold more than ${MAX_EMAIL_RECIPIENTS} recipients together`],
        text: ['must be given once'],
      },
    );
    assert.equal(parseSendRequest(form({ ...BASIC, callbackData: 'c'.repeat(4000) }), NOW).callbackData?.length, 4000);
  });

  it('sizes: URLs 2048, ids 255, landingPagePlaceholders 4000, from and replyTo 998 (measured before they are parsed)', () => {
    const at = (n: number) => 'x'.repeat(n);
    const url = (n: number) => 'https://hooks.example.com/' + 'p'.repeat(n - 'https://hooks.example.com/'.length);
    const address = (n: number) => 'J'.repeat(n - ' <jane@example.com>'.length) + ' <jane@example.com>';
    const ids = ['campaignReferenceId', 'applicationId', 'entityId', 'landingPageId', 'ipPoolId', 'templateLanguageVersion'];
    const limits = { notifyUrl: url(2048), trackingUrl: url(2048), landingPagePlaceholders: at(4000), from: address(MAX_ADDRESS_FIELD), replyTo: address(MAX_ADDRESS_FIELD), ...Object.fromEntries(ids.map((id) => [id, at(255)])) };
    const r = parseSendRequest(form({ ...BASIC, ...limits }), NOW);
    assert.equal(r.from?.address, 'jane@example.com');
    assert.deepEqual([r.notifyUrl, r.trackingUrl, r.replyTo, r.campaignReferenceId, r.applicationId, r.entityId], [limits.notifyUrl, limits.trackingUrl, limits.replyTo, at(255), at(255), at(255)]);

    const over = { notifyUrl: url(2049), trackingUrl: url(2049), landingPagePlaceholders: at(4001), from: address(MAX_ADDRESS_FIELD + 1), replyTo: address(MAX_ADDRESS_FIELD + 1), ...Object.fromEntries(ids.map((id) => [id, at(256)])) };
    assert.deepEqual(violations(form({ ...BASIC, ...over })), {
      notifyUrl: ['size must be between 0 and 2048'],
      trackingUrl: ['size must be between 0 and 2048'],
      landingPagePlaceholders: ['size must be between 0 and 4000'],
      from: [`size must be between 0 and ${MAX_ADDRESS_FIELD}`],
      replyTo: [`size must be between 0 and ${MAX_ADDRESS_FIELD}`],
      ...Object.fromEntries(ids.map((id) => [id, ['size must be between 0 and 255']])),
    });
  });

  it('a 40,000-character hostile from is refused by its size alone, at once', () => {
    const started = performance.now();
    assert.deepEqual(violations(form({ ...BASIC, from: 'a' + ' '.repeat(40_000) + '<' })), { from: [`size must be between 0 and ${MAX_ADDRESS_FIELD}`] });
    assert.ok(performance.now() - started < 50);
  });

  it(`text, html and ampHtml hold at most ${MAX_EMAIL_CONTENT_BYTES} bytes together, counted in UTF-8 bytes`, () => {
    const mib = 1024 * 1024;
    assert.equal(parseSendRequest(form({ ...BASIC, text: 't'.repeat(mib), html: 'h'.repeat(2 * mib), ampHtml: 'a'.repeat(mib) }), NOW).html?.length, 2 * mib);
    const together = `text, html and ampHtml must not hold more than ${MAX_EMAIL_CONTENT_BYTES} bytes together`;
    assert.deepEqual(violations(form({ ...BASIC, text: 't'.repeat(mib), html: 'h'.repeat(2 * mib), ampHtml: 'a'.repeat(mib + 1) })), { html: [together] });
    // 1.4 million characters, 4.2 million bytes: too much, though fewer characters than the limit's bytes.
    const euros = '€'.repeat(1_400_000);
    assert.ok(euros.length < MAX_EMAIL_CONTENT_BYTES && Buffer.byteLength(euros) > MAX_EMAIL_CONTENT_BYTES);
    assert.deepEqual(violations(form({ ...BASIC, text: euros })), { text: [together] });
  });

  it('cc and bcc must be addresses (they have no message of their own to reject); so must replyTo', () => {
    assert.deepEqual(violations(form({ ...BASIC, cc: ['ok@example.com', 'not an address'], bcc: ['{"to": "nobody"}', 'b@example.com', 'x@'], replyTo: 'replies' })), {
      'cc[1]': ['must be an email address'],
      'bcc[0]': ['must be an email address'],
      'bcc[2]': ['must be an email address'],
      replyTo: ['must be an email address, optionally with a name: Jane Smith <jane.smith@example.com>'],
    });
    const r = parseSendRequest(form({ ...BASIC, cc: '{"to": "jane.grey@somecompany.com", "placeholders": {"name": "Jane"}}', replyTo: 'Replies <all.replies@somedomain.com>' }), NOW);
    assert.deepEqual(r.cc, [{ address: 'jane.grey@somecompany.com', placeholders: { name: 'Jane' } }]);
    assert.equal(r.replyTo, 'Replies <all.replies@somedomain.com>');
    // A bad to address is not refused here: intake rejects that recipient's message on its own.
    assert.deepEqual(parseSendRequest(form({ ...BASIC, to: ['a@example.com', 'nope'] }), NOW).to.map((t) => t.address), ['a@example.com', 'nope']);
  });

  it('ampHtml needs html; a client messageId names one recipient; a bad JSON recipient is pointed at', () => {
    assert.deepEqual(violations(form({ ...BASIC, ampHtml: '<html amp4email></html>' })), { html: ['must be given with ampHtml'] });
    assert.deepEqual(violations(form({ ...BASIC, to: ['a@example.com', 'b@example.com'], messageId: 'mine' })), {
      messageId: ['can only be given with one recipient in to (or with preserveRecipients)'],
    });
    assert.deepEqual(violations(form({ ...BASIC, to: ['a@example.com', '{"to": 5}'] })), { 'to[1]': ['must be an email address or {"to": "<address>", "placeholders": {…}}'] });
  });

  it('sendAt: Infobip time, at most 30 days ahead; a past time sends at once', () => {
    assert.equal(parseSendRequest(form({ ...BASIC, sendAt: '2026-01-11T12:00:00.000+0000' }), NOW).sendAt, Date.UTC(2026, 0, 11, 12));
    assert.equal(parseSendRequest(form({ ...BASIC, sendAt: '2020-01-01T00:00:00.000+0000' }), NOW).sendAt, null);
    assert.deepEqual(violations(form({ ...BASIC, sendAt: '2026-03-01T00:00:00.000+0000' })), { sendAt: ['must not be more than 30 days in the future'] });
    assert.deepEqual(violations(form({ ...BASIC, sendAt: 'tomorrow' })), { sendAt: ["must be a date-time in the format yyyy-MM-dd'T'HH:mm:ss.SSSZ"] });
  });

  it('files in text fields and text in file fields are refused by name', () => {
    const f = form(BASIC);
    f.misplaced = { files: ['subject'], texts: ['attachment'] };
    assert.deepEqual(violations(f), { subject: ['must be a text field, not a file'], attachment: ['must be a file'] });
  });
});

describe('email send request → intake drafts', () => {
  const attachment: AttachmentInfo = { name: 'image.png', size: 1234, contentType: 'image/png' };

  it('one EMAIL draft per to recipient: address, sender, text, URLs, options', () => {
    const request = parseSendRequest(
      form(
        {
          ...BASIC,
          to: ['a@example.com', '{"to": "b@example.com", "placeholders": {"name": "B"}}'],
          bcc: 'audit@example.com',
          html: '<a href="https://example.com/x">x</a>',
          notifyUrl: 'https://hooks.example.com/dlr',
          notifyContentType: 'application/xml',
          trackingUrl: 'https://hooks.example.com/track',
          intermediateReport: 'true',
          callbackData: 'cb',
          trackOpens: 'false',
          applicationId: 'app',
          entityId: 'ent',
          campaignReferenceId: 'camp',
          bulkId: 'my-bulk',
        },
        { attachment: [attachment] },
      ),
      NOW,
    );
    const outbound = toOutbound(request);
    assert.equal(outbound.family, 'email');
    assert.equal(outbound.bulkId, 'my-bulk');
    assert.equal(outbound.drafts.length, 2);
    const [a, b] = outbound.drafts;
    assert.notEqual(a.messageId, b.messageId);
    assert.deepEqual(
      { path: a.path, to: a.to, sender: a.sender, text: a.text, channel: a.channel, notifyUrl: a.notifyUrl, contentType: a.contentType, engagementUrl: a.engagementUrl, intermediate: a.intermediate, callbackData: a.callbackData, validityMs: a.validityMs },
      { path: 'to[0]', to: 'a@example.com', sender: 'jane.smith@somecompany.com', text: 'Body', channel: 'EMAIL', notifyUrl: 'https://hooks.example.com/dlr', contentType: 'application/xml', engagementUrl: 'https://hooks.example.com/track', intermediate: true, callbackData: 'cb', validityMs: MAX_VALIDITY_MS },
    );
    assert.deepEqual([a.entityId, a.applicationId, a.campaignReferenceId, a.linkTracking, a.failover], ['ent', 'app', 'camp', null, null]);
    assert.deepEqual(a.options, {
      subject: 'Hello',
      html: '<a href="https://example.com/x">x</a>',
      fromName: 'Jane Smith',
      bcc: [{ address: 'audit@example.com' }],
      attachments: [attachment],
      emailTracking: { opens: false, clicks: true },
    });
    assert.deepEqual(b.options?.placeholders, { name: 'B' });
    assert.equal(b.path, 'to[1]');
  });

  it('a template ignores text and html; preserveRecipients makes one message for every to', () => {
    const template = toOutbound(parseSendRequest(form({ ...BASIC, html: '<p>x</p>', templateId: '7' }), NOW)).drafts[0];
    assert.equal(template.text, '');
    assert.equal(template.options?.html, undefined);
    assert.equal(template.options?.templateId, 7);

    const preserved = toOutbound(parseSendRequest(form({ ...BASIC, to: ['a@example.com', 'b@example.com'], preserveRecipients: 'true', messageId: 'mine' }), NOW));
    assert.equal(preserved.drafts.length, 1);
    assert.equal(preserved.drafts[0].to, 'a@example.com');
    assert.equal(preserved.drafts[0].messageId, 'mine');
    assert.deepEqual(preserved.drafts[0].options?.to, [{ address: 'a@example.com' }, { address: 'b@example.com' }]);
  });

  it('tracking: track switches both, trackOpens / trackClicks override; both on by default', () => {
    assert.deepEqual(trackingRequested({ track: null, trackOpens: null, trackClicks: null }), { opens: true, clicks: true });
    assert.deepEqual(trackingRequested({ track: false, trackOpens: null, trackClicks: null }), { opens: false, clicks: false });
    assert.deepEqual(trackingRequested({ track: false, trackOpens: true, trackClicks: null }), { opens: true, clicks: false });
    assert.deepEqual(trackingRequested({ track: true, trackOpens: null, trackClicks: false }), { opens: true, clicks: false });
  });
});

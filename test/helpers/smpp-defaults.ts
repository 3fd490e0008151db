/** What a connection gets for every field it leaves out (README "SMPP connections"): the contract the config tests check. */
export const SMPP_CONNECTION_DEFAULTS = {
  systemType: '',
  bindMode: 'transceiver',
  binds: 1,
  window: 10,
  throughput: 0,
  source: { ton: null, npi: null, defaultSender: '' },
  destination: { ton: 1, npi: 1 },
  dataCoding: 'auto',
  longMessages: 'udh',
  delivery: 'at-least-once',
  messageIds: { response: 'string', receipt: 'string' },
  enquireLinkMs: 30_000,
  reconnect: { minMs: 1_000, maxMs: 60_000 },
  throttleBackoff: { minMs: 100, maxMs: 10_000 },
  responseTimeoutMs: 10_000,
};

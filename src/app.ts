/**
 * Composition root: builds the store, services, background loops and HTTP server from a
 * parsed Config. Data flows one way: intake → network → events → outbox → dispatcher.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pino, { type Logger } from 'pino';
import { ApiKeys } from './auth/api-keys.ts';
import { registerApiKeyRoutes } from './admin/api-key-routes.ts';
import { registerAuthRoutes } from './auth/auth-routes.ts';
import { Authenticator } from './auth/authenticator.ts';
import { LoginGuard } from './auth/login-guard.ts';
import { OAuthTokens } from './auth/oauth-tokens.ts';
import { Sessions } from './auth/sessions.ts';
import { ThrottleCounters } from './auth/throttle-counters.ts';
import { Users } from './auth/users.ts';
import { registerAdminRoutes } from './admin/admin-routes.ts';
import { SubscriptionDirectory } from './subscriptions/directory.ts';
import { registerSubscriptionRoutes } from './subscriptions/routes.ts';
import { systemClock, type Clock } from './clock.ts';
import { listenUrl, type Config } from './config.ts';
import { registerAuth } from './http/auth-hook.ts';
import { registerHealthRoutes } from './http/health.ts';
import { registerConsole } from './http/console.ts';
import { registerOpenApi } from './http/openapi.ts';
import { createServer } from './http/server.ts';
import { MAX_IDLE_MS, WorkerLoop } from './lib/worker-loop.ts';
import type { ReportObserver } from './events/recorder.ts';
import { DatabaseEventSource } from './live/event-queries.ts';
import { EventsHub } from './live/events-hub.ts';
import { registerEventRoutes } from './live/events-route.ts';
import { Bulks, registerBulkRoutes } from './messaging/bulks.ts';
import { registerClickRoutes } from './clicks/click-routes.ts';
import { registerEmailRoutes } from './channels/email/routes.ts';
import { registerMessagesApiRoutes } from './channels/messages-api/routes.ts';
import { registerWhatsAppRoutes } from './channels/whatsapp/routes.ts';
import { Intake } from './messaging/intake.ts';
import { registerLogRoutes } from './messaging/logs.ts';
import { registerPullRoutes } from './messaging/pull-reports.ts';
import { registerInboundRoutes } from './inbound/inbound.ts';
import { registerInboxRoutes } from './inbound/inbox-routes.ts';
import { registerNumberRoutes } from './inbound/numbers.ts';
import { registerSendRoutes } from './messaging/send-routes.ts';
import { Metrics } from './metrics/registry.ts';
import { registerMetricsRoutes } from './metrics/routes.ts';
import { FailoverConnector } from './network/failover.ts';
import { createNetworkPass } from './network/network-worker.ts';
import { registerDeliveryRoutes } from './operations/delivery-routes.ts';
import { registerMeRoute } from './console-api/me-route.ts';
import { registerMessageRoutes } from './console-api/message-routes.ts';
import { registerStatsRoutes } from './console-api/stats-routes.ts';
import { registerOperationsProfileRoutes } from './operations/operations-profile-routes.ts';
import { createRecoveryPass } from './operations/recoveries.ts';
import { registerRecoveryRoutes } from './operations/recovery-routes.ts';
import { registerTargetRoutes } from './operations/target-routes.ts';
import { Simulator } from './network/simulator.ts';
import { registerSmppAdminRoutes } from './network/smpp/admin-routes.ts';
import { SmppConfigSource } from './network/smpp/config-source.ts';
import { SmppRouter } from './network/smpp/router.ts';
import { SmppNetwork } from './network/smpp/smpp-network.ts';
import { openStore, type Store } from './store/database.ts';
import { LocalNotifier, PostgresNotifier, type Notifier } from './store/notifier.ts';
import { createSweepPass } from './store/sweeper.ts';
import { DELIVERY_LEASE_MS, Dispatcher } from './webhooks/dispatcher.ts';
import { HttpSender } from './webhooks/http-sender.ts';
import { OAuthTokenClient } from './webhooks/security.ts';

const NETWORK_BATCH = 1_000;
/** Polling fall-back when several processes share the database (see WorkerLoop). */
const SHARED_DB_POLL_MS = 2_000;
const SHUTDOWN_GRACE_MS = 10_000;

export interface Hookline {
  config: Config;
  server: FastifyInstance;
  store: Store;
  dispatcher: Dispatcher;
  loops: { network: WorkerLoop; dispatcher: WorkerLoop; sweeper: WorkerLoop; recoveries: WorkerLoop };
  /** Set when start-up generated the bootstrap API key (printed once by main.ts). */
  generatedApiKey: string | undefined;
  /** Set when start-up generated the first admin's password (printed once by main.ts). */
  generatedAdmin: { username: string; password: string } | undefined;
  /** Starts what the role runs: the background loops (worker, all) and the API on HOST:PORT (api, all). */
  start(): Promise<string>;
  stop(): Promise<void>;
}

export async function createHookline(config: Config, options: { clock?: Clock; logger?: Logger } = {}): Promise<Hookline> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: config.logLevel });
  const store = await openStore(config.databaseUrl);
  const { db, profile } = store;
  const runsApi = config.role !== 'worker';
  const runsWorkers = config.role !== 'api';
  const notifier: Notifier =
    profile.listenNotify && store.postgresUrl
      ? new PostgresNotifier(store.postgresUrl, (statement) => sql.raw(statement).execute(db), logger.child({ component: 'notifier' }))
      : new LocalNotifier();

  const apiKeys = new ApiKeys(db);
  const users = new Users(db);
  const sessions = new Sessions(db);
  const tokens = new OAuthTokens(db);
  const counters = new ThrottleCounters(db);
  const { generatedSecret } = await apiKeys.bootstrap(config.apiKey, clock.now());
  const { generated: generatedAdmin } = await users.bootstrapAdmin(config.adminUsername, config.adminPassword, clock.now());
  const authenticator = new Authenticator({ apiKeys, users, sessions, tokens }, new LoginGuard(counters, config.authFailureLimit, config.authFailureWindowMs), clock);
  const targetPolicy = { allowPrivate: config.webhookAllowPrivate };
  const directory = new SubscriptionDirectory(notifier);
  // Told by intake, the network worker and the dispatcher what they did; read by GET /metrics.
  const metrics = new Metrics(db, clock, logger.child({ component: 'metrics' }));

  const senderOptions = { policy: targetPolicy, connectTimeoutMs: config.webhookConnectTimeoutMs, readTimeoutMs: config.webhookReadTimeoutMs };
  const sender = new HttpSender(senderOptions);
  const webhookTokens = new OAuthTokenClient({ ...senderOptions, now: () => clock.now() });
  const dispatcher = new Dispatcher(db, profile, sender, clock, logger.child({ worker: 'dispatcher' }), {
    bucketSize: config.webhookBucketSize,
    window: config.webhookWindow,
    maxInFlight: config.webhookMaxInFlight,
    retryMinuteMs: config.retryMinuteMs,
    leaseMs: DELIVERY_LEASE_MS,
    breakerThreshold: config.webhookBreakerThreshold,
  }, directory, webhookTokens, metrics);
  const pollMs = profile.multiProcess ? SHARED_DB_POLL_MS : MAX_IDLE_MS;
  const dispatcherLoop = new WorkerLoop('dispatcher', dispatcher.pass, clock, logger, pollMs);
  dispatcher.onProgress = () => dispatcherLoop.wakeup.ring();
  notifier.listen('dispatch', () => dispatcherLoop.wakeup.ring());
  // Attempts committed: the live event streams of every process show them.
  dispatcher.onAttempted = () => notifier.notify('activity');

  // Reports committed (intake's rejections, the network's, SMPP's): counted, and shown by the live event streams.
  const reportsRecorded: ReportObserver = {
    reportsRecorded(byStatusId) {
      metrics.reportsRecorded(byStatusId);
      if (byStatusId.size > 0) notifier.notify('activity');
    },
  };

  // SMPP connections and routes: SMPP_CONFIG_FILE (read-only) or the admin API. A bad file stops start-up here.
  const smppConfig = new SmppConfigSource({ db, file: config.smppConfigFile, notifier, now: () => clock.now() });
  await smppConfig.load().catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  // SMS whose route names an SMPP connection go there; its receipts come back out of band.
  const smpp = new SmppNetwork({
    db,
    profile,
    subscribers: directory,
    clock,
    log: logger.child({ component: 'smpp' }),
    currency: config.simulatorCurrency,
    config: smppConfig,
    onReports: () => notifier.notify('dispatch'),
    onNetworkWork: () => networkLoop.wakeup.ring(),
    reports: reportsRecorded,
  });
  metrics.watchSmpp(() => smpp.status());
  const simulator = new Simulator({ delayMs: config.simulatorDelayMs, seenDelayMs: config.simulatorSeenDelayMs, price: config.simulatorPrice, currency: config.simulatorCurrency });
  const networkLoop: WorkerLoop = new WorkerLoop(
    'network',
    createNetworkPass({
      db,
      profile,
      connector: new FailoverConnector(new SmppRouter(simulator, () => smpp.table(), config.simulatorCurrency)),
      external: smpp,
      batchSize: NETWORK_BATCH,
      subscribers: directory,
      onReports: () => notifier.notify('dispatch'),
      reports: reportsRecorded,
    }),
    clock,
    logger,
    pollMs,
  );
  notifier.listen('network', () => networkLoop.wakeup.ring());
  const sweeperLoop = new WorkerLoop('sweeper', createSweepPass(db, profile, config.retentionHours * 3_600_000, config.webhookLogRetentionDays * 86_400_000), clock, logger);
  // Recoveries re-queue at their rate; another process's new recovery is found by polling (pollMs).
  const recoveryLoop = new WorkerLoop('recoveries', createRecoveryPass({ db, profile, onRequeued: () => notifier.notify('dispatch') }), clock, logger, pollMs);
  // A recovery created through any process (an api one on PostgreSQL) starts at once.
  notifier.listen('recoveries', () => recoveryLoop.wakeup.ring());

  // Tracked short links point at PUBLIC_BASE_URL, by default this API's own address (completed
  // with the bound port once listening, so PORT=0 works).
  let publicBaseUrl = config.publicBaseUrl ?? listenUrl(config.host, config.port);
  const intake = new Intake({
    db,
    profile,
    subscribers: directory,
    targetPolicy,
    publicBaseUrl: () => publicBaseUrl,
    observer: { messagesAccepted: (api, count) => metrics.messagesAccepted(api, count), ...reportsRecorded },
    onAccepted: () => {
      notifier.notify('network');
      notifier.notify('dispatch'); // rejected destinations got their final report at intake
    },
  });
  const bulks = new Bulks(db, () => notifier.notify('network'));

  const server = createServer({ logger, maxBodyBytes: config.maxBodyBytes, trustProxy: config.trustProxy });
  registerAuth(server, { authenticator, counters, clock, throttles: config.throttles });
  // Before any other route: the OpenAPI document is collected as routes are added.
  await registerOpenApi(server);
  registerAuthRoutes(server, { authenticator, sessions, tokens, clock });
  registerApiKeyRoutes(server, { apiKeys, authenticator, db, clock });
  registerAdminRoutes(server, { users, authenticator, db, clock });
  registerSmppAdminRoutes(server, { source: smppConfig, status: () => smpp.status() });
  registerSubscriptionRoutes(server, { db, directory, clock, targetPolicy });
  registerHealthRoutes(server, db, profile);
  await registerConsole(server, logger);
  registerMetricsRoutes(server, metrics, config.metricsToken);
  registerSendRoutes(server, intake, clock);
  registerMessagesApiRoutes(server, { intake, db, profile, clock });
  registerWhatsAppRoutes(server, { intake, db, clock });
  registerEmailRoutes(server, { intake, db, clock, currency: config.simulatorCurrency });
  registerBulkRoutes(server, bulks, db, clock);
  registerLogRoutes(server, db, clock, config.simulatorCurrency);
  registerPullRoutes(server, db, clock);
  registerClickRoutes(server, { db, profile, subscribers: directory, clock, onRouted: () => notifier.notify('dispatch') });
  registerNumberRoutes(server, { db, clock });
  registerInboundRoutes(server, { db, subscribers: directory, clock, currency: config.simulatorCurrency, onPushed: () => notifier.notify('dispatch') });
  registerInboxRoutes(server, { db, profile, clock });
  registerDeliveryRoutes(server, { db, profile, clock, retryMinuteMs: config.retryMinuteMs, onRequeued: () => notifier.notify('dispatch') });
  registerMeRoute(server);
  registerMessageRoutes(server, { db });
  registerStatsRoutes(server, { db, clock });
  registerRecoveryRoutes(server, { db, clock, onCreated: () => notifier.notify('recoveries') });
  registerTargetRoutes(server, { db, clock, onEnabled: () => notifier.notify('dispatch') });
  registerOperationsProfileRoutes(server, { db, directory, clock, targetPolicy });
  // Live events (GET /hookline/1/events): read from the database, woken by any process's commits.
  // The hub ends its streams when the server closes (a preClose hook), so shutdown waits for none.
  const liveEvents = new EventsHub(new DatabaseEventSource(db), logger.child({ component: 'live-events' }), { outOfOrderIds: profile.serialIds });
  if (runsApi) notifier.listen('activity', () => liveEvents.wake());
  registerEventRoutes(server, { hub: liveEvents });

  // A worker serves no API, yet only it counts its dispatcher's attempts: with METRICS_PORT it
  // serves its own health and metrics there.
  const opsServer = !runsApi && config.metricsPort !== null ? createServer({ logger, maxBodyBytes: config.maxBodyBytes, trustProxy: config.trustProxy }) : null;
  if (opsServer) {
    registerHealthRoutes(opsServer, db, profile);
    registerMetricsRoutes(opsServer, metrics, config.metricsToken);
  }

  const loops = { network: networkLoop, dispatcher: dispatcherLoop, sweeper: sweeperLoop, recoveries: recoveryLoop };
  let stopped = false;

  return {
    config,
    server,
    store,
    dispatcher,
    loops,
    generatedApiKey: generatedSecret,
    generatedAdmin,
    async start() {
      if (runsWorkers) {
        // Alone on its database, this process owns every lease; with others, leases expire by themselves.
        if (!profile.multiProcess) {
          const released = await dispatcher.releaseStaleLeases();
          if (released) logger.info({ released }, 'released webhook leases left by a previous run');
        }
        await smpp.start();
        for (const loop of Object.values(loops)) loop.start();
        dispatcher.startHeartbeat();
      }
      // Every role listens: API processes route too (rejected destinations), so they must hear of subscription changes.
      await notifier.start();
      if (!runsApi) {
        if (opsServer) logger.info({ metrics: await opsServer.listen({ port: config.metricsPort!, host: config.host }) }, 'worker health and metrics listening');
        return '';
      }
      const address = await server.listen({ port: config.port, host: config.host });
      if (config.publicBaseUrl === null) publicBaseUrl = listenUrl(config.host, (server.server.address() as AddressInfo).port);
      return address;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Stop taking requests, stop claiming work, let in-flight webhooks finish or give them back.
      await server.close();
      await opsServer?.close();
      await Promise.all(Object.values(loops).map((loop) => loop.stop()));
      // After the network loop: nothing more is handed over; receipts already in are stored.
      await smpp.stop();
      const drained = await dispatcher.drain(SHUTDOWN_GRACE_MS);
      dispatcher.stopHeartbeat();
      if (!drained) await dispatcher.releaseOwnLeases();
      await sender.close(!drained);
      await webhookTokens.close();
      await notifier.close();
      await store.close();
    },
  };
}

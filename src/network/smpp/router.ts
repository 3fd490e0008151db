/**
 * The routing table as a connector: an SMS whose destination matches a route to an SMPP
 * connection is handed over to it (its receipts arrive out of band) with a `validity` step at its
 * validity end; a route to `simulator`, and every other channel, go to the simulated network.
 * With no routes at all everything is simulated (the default); with routes, a destination none
 * of them matches is refused as REJECTED_ROUTE_NOT_AVAILABLE rather than faked.
 */
import { CHANNEL } from '../../messaging/channels.ts';
import { ERROR, STATUS } from '../../messaging/status-catalogue.ts';
import type { NetworkStep } from '../../store/schema.ts';
import type { Connector, ConnectorEvent, NetworkMessage, StepOutcome } from '../connector.ts';
import { SIMULATOR_TARGET, type SmppRoute } from './smpp-config.ts';

/** Longest prefix wins; null when no route matches. */
export function routeFor(routes: readonly SmppRoute[], destination: string): string | null {
  let best: SmppRoute | null = null;
  for (const route of routes) {
    if (destination.startsWith(route.prefix) && (!best || route.prefix.length > best.prefix.length)) best = route;
  }
  return best?.target ?? null;
}

export class SmppRouter implements Connector {
  constructor(
    private readonly simulated: Connector,
    /** The current routes and connection names (they change through the admin API). */
    private readonly table: () => { routes: readonly SmppRoute[]; connections: ReadonlySet<string> },
    private readonly currency: string,
  ) {}

  private report(statusId: number, errorId: number): ConnectorEvent {
    return { statusId, errorId, final: true, pricePerMessage: 0, currency: this.currency };
  }

  handle(step: NetworkStep, message: NetworkMessage, now: number): StepOutcome {
    if (step === 'validity') return { events: [this.report(STATUS.EXPIRED_EXPIRED, ERROR.EC_VALIDITY_EXPIRED)], next: null };
    const sending = step === 'submit' || step === 'failover';
    if (!sending || message.channel !== CHANNEL.SMS) return this.simulated.handle(step, message, now);
    const { routes, connections } = this.table();
    if (routes.length === 0) return this.simulated.handle(step, message, now);
    const target = routeFor(routes, message.destination);
    if (target === SIMULATOR_TARGET) return this.simulated.handle(step, message, now);
    if (target === null || !connections.has(target)) return { events: [this.report(STATUS.REJECTED_ROUTE_NOT_AVAILABLE, ERROR.NO_ERROR)], next: null };
    return { events: [], next: { step: 'validity', dueAt: now + message.validityMs }, handover: { connection: target } };
  }
}

/**
 * The CLICK event's `recipientInfo` from the opener's User-Agent: `deviceType` (Phone, Tablet,
 * Desktop, TV, Bot), `os` (name and major version, e.g. "iOS 12", as Infobip's example shows) and
 * `deviceName` (the maker, e.g. "Apple"; else the model the User-Agent names). Parsing is bowser's
 * (MIT, no dependencies); Android User-Agents rarely name the maker, so a small table maps the
 * common model prefixes to one. A field that cannot be told is left out rather than guessed.
 */
import Bowser from 'bowser';

export interface RecipientInfo {
  deviceType?: string;
  os?: string;
  deviceName?: string;
}

/** User-Agents longer than this are cut before they are stored. */
export const MAX_USER_AGENT = 1_000;

const DEVICE_TYPES: Record<string, string> = { mobile: 'Phone', tablet: 'Tablet', desktop: 'Desktop', tv: 'TV', bot: 'Bot' };

/** Android model prefixes → maker, for User-Agents that name only the model. */
const ANDROID_MAKERS: Array<[RegExp, string]> = [
  [/^(SM-|GT-|SAMSUNG|Galaxy)/i, 'Samsung'],
  [/^(Pixel|Nexus)/i, 'Google'],
  [/^(HUAWEI|HONOR)/i, 'Huawei'],
  [/^(Redmi|POCO|Mi |Xiaomi|M2\d{3})/i, 'Xiaomi'],
  [/^(ONEPLUS|OnePlus)/i, 'OnePlus'],
  [/^(moto|Motorola|XT\d)/i, 'Motorola'],
  [/^(Nokia)/i, 'Nokia'],
  [/^(LM-|LG-|LG )/i, 'LG'],
  [/^(XQ-|SO-|Xperia)/i, 'Sony'],
  [/^(CPH|OPPO)/i, 'OPPO'],
  [/^(vivo|V\d{4})/i, 'vivo'],
];

/** The model in `(Linux; Android 13; SM-S911B Build/…)`; "K" is Chrome's reduced User-Agent placeholder. */
function androidModel(userAgent: string): string | undefined {
  const model = /Android [\d.]+; (?:[a-z]{2}[-_][a-z]{2}; )?([^;)]+?)(?: Build\/[^;)]*)?[;)]/i.exec(userAgent)?.[1]?.trim();
  return model && model !== 'K' && !/^wv$/i.test(model) ? model : undefined;
}

function osOf(os: { name?: string; version?: string; versionName?: string }): string | undefined {
  if (!os.name) return undefined;
  // Windows reports NT kernel versions ("NT 10.0"); its marketing name ("10") is what people know.
  if (os.name === 'Windows') return os.versionName ? `Windows ${os.versionName}` : 'Windows';
  // Browsers freeze macOS at 10.15.7 in the User-Agent, so a version would be wrong more often than not.
  if (os.name === 'macOS') return 'macOS';
  const major = os.version?.split('.')[0];
  return major ? `${os.name} ${major}` : os.name;
}

export function recipientInfoOf(userAgent: string | null | undefined): RecipientInfo {
  if (!userAgent || userAgent.trim() === '') return {};
  try {
    const parser = Bowser.getParser(userAgent);
    const platform = parser.getPlatform();
    const info: RecipientInfo = {};
    const deviceType = platform.type ? DEVICE_TYPES[platform.type] : undefined;
    if (deviceType) info.deviceType = deviceType;
    const os = osOf(parser.getOS());
    if (os) info.os = os;
    const model = parser.getOSName() === 'Android' ? androidModel(userAgent) : undefined;
    const maker = platform.vendor ?? (model ? ANDROID_MAKERS.find(([pattern]) => pattern.test(model))?.[1] : undefined);
    const deviceName = maker ?? model;
    if (deviceName) info.deviceName = deviceName;
    return info;
  } catch {
    return {}; // an unparseable User-Agent tells nothing
  }
}

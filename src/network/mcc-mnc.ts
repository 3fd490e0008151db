/**
 * A small prefix → MCC/MNC table so simulated reports carry a plausible `mccMnc`
 * (longest prefix wins). Real connectors report what the network says.
 */
const PREFIXES = ([
  ['1', '310260'],
  ['7', '25001'],
  ['31', '20404'],
  ['33', '20801'],
  ['34', '21407'],
  ['36', '21630'],
  ['381', '22001'],
  ['385', '21901'],
  ['386', '29341'],
  ['387', '21890'],
  ['39', '22201'],
  ['40', '22610'],
  ['41', '22801'],
  ['43', '23201'],
  ['44', '23410'],
  ['45', '23801'],
  ['46', '24001'],
  ['47', '24201'],
  ['48', '26001'],
  ['49', '26201'],
  ['55', '72405'],
  ['61', '50501'],
  ['81', '44010'],
  ['86', '46000'],
  ['90', '28601'],
  ['91', '40410'],
] as Array<[string, string]>).sort((a, b) => b[0].length - a[0].length);

export function mccMncFor(destination: string): string | null {
  return PREFIXES.find(([prefix]) => destination.startsWith(prefix))?.[1] ?? null;
}

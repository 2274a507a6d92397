import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/** Why an address may not be fetched, as a range name and a phrase for error messages. */
export interface AddressVerdict {
  allowed: boolean
  /** The ipaddr.js range name, or our own ('ipv4Compatible', 'unassigned', 'invalid'). */
  range: string
  /** Human wording, e.g. "a private network". */
  description: string
}

const descriptions: Record<string, string> = {
  unicast: 'a public address',
  unspecified: 'an unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local network (this includes cloud metadata services)',
  loopback: 'the loopback interface (this machine)',
  carrierGradeNat: 'a carrier-grade NAT network',
  private: 'a private network',
  reserved: 'a reserved address range',
  benchmarking: 'a benchmarking address range',
  amt: 'a reserved address range (AMT)',
  as112: 'a reserved address range (AS112)',
  as112v6: 'a reserved address range (AS112)',
  uniqueLocal: 'a private network (IPv6 unique-local)',
  ipv4Mapped: 'an IPv4-mapped address',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 tunnel address',
  teredo: 'a Teredo tunnel address',
  deprecatedSiteLocal: 'a private network (IPv6 site-local)',
  discard: 'a discard-only address range',
  orchid2: 'a reserved address range (ORCHID)',
  deprecatedOrchid: 'a reserved address range (ORCHID)',
  droneRemoteIdProtocolEntityTags: 'a reserved address range',
  segmentRouting: 'a segment-routing address range',
  ipv4Compatible: 'a deprecated IPv4-compatible address',
  unassigned: 'an unassigned address range',
  invalid: 'an address that is not valid',
}

/**
 * Decides whether a resolved IP address is a public unicast address. Only ipaddr.js's 'unicast'
 * range passes; IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry, and IPv6
 * must also sit inside 2000::/3 (the only block IANA hands out as global unicast), which also
 * refuses IPv4-compatible ::a.b.c.d and anything not yet assigned.
 */
export function classifyAddress(address: string): AddressVerdict {
  const verdict = (range: string): AddressVerdict => ({
    allowed: range === 'unicast',
    range,
    description: descriptions[range] ?? `a special-purpose address range (${range})`,
  })
  const bare = address.replace(/%.*$/, '')
  if (isIP(bare) === 0) return verdict('invalid')
  let parsed: ipaddr.IPv4 | ipaddr.IPv6
  try {
    // process() turns ::ffff:a.b.c.d into a.b.c.d, so a mapped loopback is judged as loopback.
    parsed = ipaddr.process(bare)
  } catch {
    return verdict('invalid')
  }
  const range = parsed.range()
  if (range !== 'unicast') return verdict(range)
  if (parsed.kind() === 'ipv6') {
    const parts = (parsed as ipaddr.IPv6).parts
    const first = parts[0] ?? 0
    if (parts.slice(0, 6).every((part) => part === 0)) return verdict('ipv4Compatible')
    if (first < 0x2000 || first > 0x3fff) return verdict('unassigned')
  }
  return verdict('unicast')
}

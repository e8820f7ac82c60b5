import { describe, expect, it } from 'vitest';
import { ipSubject } from './login-throttle.ts';

describe('login throttle subjects', () => {
  it('counts IPv4 per address and IPv6 per /64', () => {
    expect(ipSubject('192.0.2.7')).toBe('ip:192.0.2.7');
    expect(ipSubject('::ffff:192.0.2.7')).toBe('ip:192.0.2.7');
    expect(ipSubject('2001:db8:1:2:aaaa::1')).toBe('ip:2001:db8:1:2::/64');
    expect(ipSubject('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('ip:2001:db8:1:2::/64');
    expect(ipSubject('2001:db8::1')).toBe('ip:2001:db8:0:0::/64');
    expect(ipSubject('::1')).toBe('ip:0:0:0:0::/64');
    expect(ipSubject('fe80::1%eth0')).toBe('ip:fe80:0:0:0::/64');
  });
});

import { describe, expect, it } from 'vitest';
import { ApplyVersions } from '../src/applyVersions.js';

describe('ApplyVersions.stamp', () => {
  it('stamps the newest version every member implements, once every member was heard from', () => {
    const versions = new ApplyVersions(1, 3);
    expect(versions.stamp([1, 2, 3], 1)).toBe(1);
    versions.heardFrom(2, 3);
    expect(versions.stamp([1, 2, 3], 1)).toBe(1);
    versions.heardFrom(3, 2);
    expect(versions.stamp([1, 2, 3], 1)).toBe(2);
    versions.heardFrom(3, 3);
    expect(versions.stamp([1, 2, 3], 1)).toBe(3);
    expect(versions.stamp([1], 1)).toBe(3);
  });

  it('counts a member of a release from before versions as version 1, and forgets removed members', () => {
    const versions = new ApplyVersions(1, 2);
    versions.heardFrom(2, 2);
    versions.heardFrom(3, 0);
    expect(versions.stamp([1, 2, 3], 1)).toBe(1);
    versions.forget(3);
    expect(versions.stamp([1, 2], 1)).toBe(2);
  });

  it('never stamps below the version the state was applied at', () => {
    const versions = new ApplyVersions(1, 2);
    versions.heardFrom(2, 1);
    expect(versions.stamp([1, 2], 2)).toBe(2);
    expect(versions.stamp([1, 2, 3], 2)).toBe(2);
  });

  it('stamps the state version while no member is known at all', () => {
    expect(new ApplyVersions(1, 2).stamp([], 1)).toBe(1);
  });
});

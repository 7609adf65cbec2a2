import { describe, expect, it } from 'vitest';
import { badCredentialsFailures } from '../src/bad-credentials.js';
import { parseBackgroundNemeses, parseNemesisList } from '../src/schedule.js';

describe('the bad-credentials nemesis', () => {
  it('is asked for by name beside the scheduled faults, and is not one of them', () => {
    expect(parseBackgroundNemeses('kill,bad-credentials')).toEqual(['bad-credentials']);
    expect(parseNemesisList('kill,bad-credentials')).toEqual(['kill-leader', 'kill-random']);
    expect(parseBackgroundNemeses('all')).toEqual([]);
  });

  it('fails the verdict when a probe went through, or was never refused', () => {
    const refused = { attempts: 3, refused: 3, unanswered: 0, accepted: 0 };
    expect(badCredentialsFailures({ rounds: 3, probes: { 'client:no-credentials': refused }, accepted: [] })).toEqual([]);
    const through = badCredentialsFailures({
      rounds: 3,
      probes: { 'client:forged-token': { attempts: 3, refused: 2, unanswered: 0, accepted: 1 } },
      accepted: ['client:forged-token went through on member 2'],
    });
    expect(through).toEqual(['bad credentials accepted: client:forged-token went through on member 2']);
    const silent = badCredentialsFailures({ rounds: 3, probes: { 'peer:plaintext': { attempts: 3, refused: 0, unanswered: 3, accepted: 0 } }, accepted: [] });
    expect(silent[0]).toMatch(/peer:plaintext was never answered with a refusal/);
  });
});

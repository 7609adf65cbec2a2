import { describe, expect, it } from 'vitest';
import { checkHistory, HistoryRecorder, RecorderError } from '../src/index.js';

describe('HistoryRecorder', () => {
  it('records outcomes that the checker accepts', () => {
    const recorder = new HistoryRecorder();
    const put = recorder.invoke(1, 'k', { kind: 'put', value: 'a' }, 0);
    const get = recorder.invoke(2, 'k', { kind: 'get' }, 1);
    put.ok({ kind: 'put' }, 2);
    get.ok({ kind: 'get', value: 'a' }, 3);
    recorder.invoke(3, 'k', { kind: 'delete' }, 4).failed(5);
    recorder.invoke(4, 'k', { kind: 'put', value: 'b' }, 6).unknown();
    const history = recorder.history();
    expect(history.map((op) => op.outcome)).toEqual(['ok', 'ok', 'failed', 'unknown']);
    expect(history[1]).toMatchObject({ id: 1, clientId: 2, invokedAt: 1, returnedAt: 3, output: { value: 'a' } });
    expect(checkHistory(history).linearizable).toBe(true);
  });

  it('reports operations still pending as unknown', () => {
    const recorder = new HistoryRecorder();
    recorder.invoke(1, 'k', { kind: 'put', value: 'a' }, 0);
    expect(recorder.history()[0]?.outcome).toBe('unknown');
  });

  it('refuses to complete an operation twice', () => {
    const recorder = new HistoryRecorder();
    const handle = recorder.invoke(1, 'k', { kind: 'get' }, 0);
    handle.ok({ kind: 'get', value: null }, 1);
    expect(() => handle.failed(2)).toThrow(RecorderError);
    expect(recorder.history()[0]?.outcome).toBe('ok');
  });

  it('refuses an output of the wrong kind and a return before the invocation', () => {
    const recorder = new HistoryRecorder();
    const handle = recorder.invoke(1, 'k', { kind: 'get' }, 10);
    expect(() => handle.ok({ kind: 'put' }, 11)).toThrow(/get answered by put/);
    expect(() => handle.ok({ kind: 'get', value: null }, 9)).toThrow(/before it was invoked/);
    handle.ok({ kind: 'get', value: null }, 12);
    expect(recorder.history()[0]?.returnedAt).toBe(12);
  });
});

import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, makeMessage, signFrames } from '../src/notebook/protocol';

describe('Jupyter wire protocol', () => {
  it('signs the four JSON frames with HMAC-SHA256 and round-trips a message', () => {
    const key = 'secret';
    const msg = makeMessage('execute_request', { code: '1 + 1' }, 'session-1');
    const frames = encodeMessage(key, msg, [Buffer.from('id-1')]);
    assert.equal(frames[0].toString(), 'id-1');
    assert.equal(frames[1].toString(), '<IDS|MSG>');
    assert.equal(frames[2].toString(), signFrames(key, frames.slice(3, 7)));
    const back = decodeMessage(key, frames);
    assert.deepEqual(back.content, { code: '1 + 1' });
    assert.equal(back.header.msg_type, 'execute_request');
    assert.equal(back.header.version, '5.3');
  });

  it('rejects a message with a wrong signature or without the delimiter', () => {
    const frames = encodeMessage('secret', makeMessage('status', {}, 's'));
    assert.throws(() => decodeMessage('other key', frames), /wrong signature/);
    assert.throws(() => decodeMessage('secret', frames.slice(1)), /malformed/);
  });
});

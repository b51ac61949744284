// The panel's HTML and its nonce, as the extension serves them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNonce, panelHtml } from '../../../src/extension/panelQueue';

test('the CSP nonce comes from a cryptographic source, not Math.random', () => {
  const original = Math.random;
  Math.random = () => { throw new Error('Math.random used for a nonce'); };
  try {
    const a = makeNonce(), b = makeNonce();
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{22,}$/); // ≥ 128 bits, base64url: nothing to escape in HTML or CSP
  } finally {
    Math.random = original;
  }
});

test('panelHtml: one nonce\'d script, a CSP without unsafe sources, and its inputs escaped', () => {
  const html = panelHtml({ cspSource: 'https://x.test', nonce: 'N0nce', scriptUri: 'https://x.test/a.js?"><script>', styleUri: 'https://x.test/p.css', title: '<b>run</b>' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)![1];
  assert.equal(csp, "default-src 'none'; img-src https://x.test data:; style-src https://x.test; script-src 'nonce-N0nce'; font-src https://x.test");
  assert.equal(html.match(/<script/g)!.length, 1);
  assert.match(html, /<script nonce="N0nce" src="https:\/\/x\.test\/a\.js\?&quot;&gt;&lt;script&gt;"><\/script>/);
  assert.match(html, /<title>&lt;b&gt;run&lt;\/b&gt;<\/title>/);
});

import { detectReplyIntent, MAX_REPLY_CHARS } from './detect-reply-intent';

describe('detectReplyIntent', () => {
  describe('opt-out keywords, as carriers match them', () => {
    it.each([
      ['STOP', 'STOP'],
      ['stop', 'STOP'],
      ['  Stop.  ', 'STOP'],
      ['STOP!!!', 'STOP'],
      ['"stop"', 'STOP'],
      ['stop please', 'STOP'],
      ['Please STOP', 'STOP'],
      ['ok stop', 'STOP'],
      ['I said STOP', 'STOP'],
      ['stop stop stop', 'STOP'],
      ['STOP 🛑', 'STOP'],
      ['ＳＴＯＰ', 'STOP'],
      ['st\u200bop', 'STOP'],
      ['Thanks. Stop.', 'STOP'],
      ['STOP. I paid already', 'STOP'],
      ['stopall', 'STOPALL'],
      ['Stop all', 'STOPALL'],
      ['UNSUBSCRIBE', 'UNSUBSCRIBE'],
      ['unsubscribe me', 'UNSUBSCRIBE'],
      ['End', 'END'],
      ['quit', 'QUIT'],
      ['Revoke', 'REVOKE'],
      ['OPTOUT', 'OPTOUT'],
      ['opt out', 'OPTOUT'],
      ['Opt-out', 'OPTOUT'],
      ['cancel', 'CANCEL'],
      ['Cancel it', 'CANCEL'],
      ['opt me out', 'OPTOUT'],
    ])('%j is the opt-out keyword %s', (text, keyword) => {
      expect(detectReplyIntent(text)).toEqual({ kind: 'opt-out', via: 'keyword', keyword, truncated: false });
    });
  });

  describe('free-text revocations (any reasonable means)', () => {
    it.each([
      ['please stop texting me', 'stop-contacting'],
      ['Stop messaging me about this', 'stop-contacting'],
      ['can you stop contacting me', 'stop-contacting'],
      ['stop sending me these', 'stop-contacting'],
      ['Stop the texts', 'stop-contacting'],
      ['quit calling', 'stop-contacting'],
      ["don't contact me again", 'do-not-contact'],
      ['Do not text me', 'do-not-contact'],
      ['dont email me', 'do-not-contact'],
      ['never call this number', 'do-not-contact'],
      ['Leave me alone!', 'do-not-contact'],
      ['no more messages', 'no-more-messages'],
      ['No more texts please', 'no-more-messages'],
      ["I don't want any more texts", 'no-more-messages'],
      ['I do not want to receive these messages', 'no-more-messages'],
      ['remove me from your list', 'remove-me'],
      ['Remove my number from your system', 'remove-me'],
      ['Please remove me', 'remove-me'],
      ['delete my number', 'remove-me'],
      ['take me off your mailing list', 'remove-me'],
      ['take my number off', 'remove-me'],
      ['I would like to opt out', 'opt-out-request'],
      ['I want to unsubscribe from this', 'opt-out-request'],
      ["I'd like to opt out", 'opt-out-request'],
      ['how do I opt out of these?', 'opt-out-request'],
      ['I revoke my consent', 'revoke-consent'],
      ['I withdraw consent to be contacted', 'revoke-consent'],
      ['I no longer consent', 'revoke-consent'],
      ['wrong number', 'wrong-recipient'],
      ['Sorry, wrong number', 'wrong-recipient'],
      ["You've got the wrong person", 'wrong-recipient'],
      ['you are texting the wrong number', 'wrong-recipient'],
      ['Please stop texting me \u2019cause I already paid', 'stop-contacting'],
      ['Don\u2019t contact me again', 'do-not-contact'],
    ])('%j is a %s revocation', (text, phraseClass) => {
      expect(detectReplyIntent(text)).toEqual({
        kind: 'opt-out',
        via: 'phrase',
        phraseClass,
        truncated: false,
      });
    });
  });

  describe('opt-in keywords', () => {
    it.each([
      ['START', 'START'],
      ['start please', 'START'],
      ['Unstop', 'UNSTOP'],
      ['ok. START!', 'START'],
    ])('%j is the opt-in keyword %s', (text, keyword) => {
      expect(detectReplyIntent(text)).toEqual({ kind: 'opt-in', keyword, truncated: false });
    });

    it('is no opt-in when start is a word of a longer sentence', () => {
      expect(detectReplyIntent('when does the payment plan start?')).toEqual({
        kind: 'none',
        truncated: false,
      });
    });

    it('treats a reply that opts out and in as an opt-out', () => {
      expect(detectReplyIntent('START. no wait, STOP')).toMatchObject({ kind: 'opt-out', keyword: 'STOP' });
    });
  });

  describe('near misses that are not revocations', () => {
    it.each([
      // "stop by" is the phrasal verb "visit": a question about the branch, not a request to stop.
      ['stop by the branch tomorrow?', 'STOP'],
      ["I can't stop thinking about it", 'STOP'],
      ['Can you cancel my card?', 'CANCEL'],
      ['cancel my direct debit please', 'CANCEL'],
      ['I will pay at the end of the month', 'END'],
      ['When does the offer end?', 'END'],
      ['My husband quit his job', 'QUIT'],
      ['Is there a stop payment fee?', 'STOP'],
      ["Please don't stop sending me reminders", 'STOP'],
      ['I revoke my authorization for the autopay', 'REVOKE'],
    ])('%j is not a revocation (mentions %s)', (text, keyword) => {
      expect(detectReplyIntent(text)).toEqual({ kind: 'none', mentionsKeyword: keyword, truncated: false });
    });

    it.each([
      'nonstop service, thanks',
      'I stopped by yesterday',
      'unstoppable',
      'stopping by later',
      'You never call me back',
      'I typed the wrong number in the app',
      'remove me from the joint account',
      'take me off the joint account',
      'I want to remove my late fee',
      'did you stop sending paper statements',
      'Thanks, paid',
      '',
      '   ',
      '🙂',
    ])('%j is neither opt-out nor opt-in', (text) => {
      expect(detectReplyIntent(text).kind).toBe('none');
    });
  });

  it('ignores lines quoted from our own message (an e-mail reply quoting "reply STOP to opt out")', () => {
    const reply =
      'Paid it this morning, thanks.\n\nOn Monday Closeout wrote:\n> Reply STOP to opt out.\n> Pay here';
    expect(detectReplyIntent(reply)).toEqual({ kind: 'none', truncated: false });
  });

  it('reads only the first MAX_REPLY_CHARS characters and says so', () => {
    const long = 'a '.repeat(MAX_REPLY_CHARS) + ' STOP';
    expect(detectReplyIntent(long)).toEqual({ kind: 'none', truncated: true });
    expect(detectReplyIntent('STOP. ' + 'a'.repeat(MAX_REPLY_CHARS))).toEqual({
      kind: 'opt-out',
      via: 'keyword',
      keyword: 'STOP',
      truncated: true,
    });
  });

  it('stays fast on a hostile reply of the maximum length', () => {
    const hostile = 'stop sending '.repeat(1000) + "don't ".repeat(1000);
    const started = Date.now();
    detectReplyIntent(hostile);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('never carries the text in its answer', () => {
    const text = 'please stop texting me, my number is +447400123456';
    expect(JSON.stringify(detectReplyIntent(text))).not.toMatch(/447400123456|texting/);
  });
});

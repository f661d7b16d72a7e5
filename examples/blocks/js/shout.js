// JsShout: upper-cases `text`, puts a rendered prefix in front and counts its words.
// The same block as examples/blocks/rust and examples/blocks/python, written with the JS SDK.
// Build: node ../../../sdk/js/build_block.mjs shout.js -o js_shout.wasm
// @ts-check
import { BlockError, defineBlock, log } from '../../../sdk/js/blockforge.js';

export const guest = defineBlock({
  typeName: 'JsShout',
  name: 'Shout (JavaScript)',
  description: 'Upper-cases `text`, puts the rendered `prefix` in front and counts the words',
  category: 'utilities',
  inputs: ['text'],
  outputs: ['shouted', 'words'],
  config: {
    prefix: {
      type: 'string', default: '', format: 'jinja2',
      description: 'Text put in front of the shouted text (Jinja, rendered against the state)',
    },
    max_words: {
      type: 'integer', default: 0, minimum: 0,
      description: 'Reject texts with more words than this (0: no limit)',
    },
  },
  execute(ctx) {
    const text = ctx.str('text');
    const words = text.split(/\s+/).filter(Boolean).length;
    if (ctx.config.max_words && words > ctx.config.max_words) {
      throw BlockError.rejected(`text has ${words} words, above max_words ${ctx.config.max_words}`,
        { words, max_words: ctx.config.max_words });
    }
    log.info(`shouting ${words} words`);
    return { shouted: ctx.render(ctx.config.prefix) + text.toUpperCase(), words };
  },
});

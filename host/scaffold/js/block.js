// __TYPE_NAME__: writes `result` from the run's `text`. `make` builds it (see README.md).
// @ts-check
[plain]import { defineBlock, log } from './blockforge_sdk/blockforge.js';
[llm]import { defineBlock, llm, log } from './blockforge_sdk/blockforge.js';

export const guest = defineBlock({
  typeName: '__TYPE_NAME__',
  description: 'Writes `result` from `text`',
  category: 'utilities',
  inputs: ['text'],
  outputs: ['result'],
[llm]  capabilities: ['llm'],
  config: {
[plain]    template: {
[plain]      type: 'string', default: '{{ text | upper }}', format: 'jinja2',
[plain]      description: 'What to write into `result` (Jinja, rendered against the state)',
[plain]    },
[llm]    prompt: {
[llm]      type: 'string', default: 'Give a short title to: {{ text }}', format: 'jinja2',
[llm]      description: 'The prompt sent to the model (Jinja, rendered against the state)',
[llm]    },
[llm]    model: {
[llm]      type: ['string', 'null'], default: null, format: 'model',
[llm]      description: "The model to ask (the host's default when empty)",
[llm]    },
  },
  execute(ctx) {
    const text = ctx.str('text');
    log.info(`__TYPE_NAME__ got ${text.length} characters`);
[plain]    return { result: ctx.render(ctx.config.template) };
[llm]    const reply = llm.chat({ prompt: ctx.render(ctx.config.prompt), model: ctx.config.model ?? undefined });
[llm]    return { result: reply.content };
  },
});

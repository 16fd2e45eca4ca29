// Drives a longctx gateway with the official OpenAI Node SDK: if the SDK can parse what we send, real clients can.
// Env: BASE_URL (e.g. http://127.0.0.1:8000/v1), API_KEY, MODEL. Exits non-zero on any failure.
import OpenAI from 'openai';

const { BASE_URL, API_KEY, MODEL } = process.env;
if (!BASE_URL || !MODEL) {
  console.error('sdk-check: set BASE_URL (…/v1), MODEL and, if the gateway has keys, API_KEY');
  process.exit(2);
}
// No SDK retries: a failure must show up here, not be papered over.
const client = new OpenAI({ baseURL: BASE_URL, apiKey: API_KEY || 'none', maxRetries: 0, timeout: 60_000 });

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function models() {
  const list = await client.models.list();
  check(list.data.some((m) => m.id === MODEL), `models.list has no ${MODEL}: ${JSON.stringify(list.data)}`);
  const model = await client.models.retrieve(MODEL);
  check(model.id === MODEL && model.owned_by === 'longctx', `models.retrieve: ${JSON.stringify(model)}`);
}

async function plainChat() {
  // ignore_eos is vLLM's extension; the SDK sends unknown body fields as they are.
  const completion = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Say hello.' }],
    max_tokens: 8,
    temperature: 0,
    ignore_eos: true,
  });
  check(completion.object === 'chat.completion', `object ${completion.object}`);
  const content = completion.choices[0]?.message?.content;
  check(typeof content === 'string' && content.length > 0, `empty content: ${JSON.stringify(completion)}`);
  check(completion.choices[0].message.role === 'assistant', 'role is not assistant');
  check(completion.usage?.completion_tokens === 8, `usage ${JSON.stringify(completion.usage)}`);
  return content;
}

async function streamingChat() {
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'Stream something.' }],
    max_tokens: 8,
    temperature: 0,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let role = null;
  let finishReason = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    check(chunk.object === 'chat.completion.chunk', `chunk object ${chunk.object}`);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.delta?.role) role = choice.delta.role;
      text += choice.delta?.content ?? '';
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  }
  check(role === 'assistant', `no assistant role delta in ${chunks} chunks`);
  check(text.length > 0, `empty streamed text over ${chunks} chunks`);
  check(finishReason === 'length', `finish_reason ${finishReason}`);
  check(usage?.completion_tokens === 8, `usage chunk ${JSON.stringify(usage)}`);
  return text;
}

async function unknownModelIsNotFound() {
  try {
    await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
  } catch (e) {
    check(e instanceof OpenAI.NotFoundError, `expected NotFoundError, got ${e?.constructor?.name}: ${e?.message}`);
    check(typeof e.error?.message === 'string', `error body not parsed: ${JSON.stringify(e.error)}`);
    // the gateway's error table: OpenAI's string code beside vLLM's type
    const fields = { status: e.status, type: e.type, code: e.code, param: e.param };
    const expected = { status: 404, type: 'NotFoundError', code: 'model_not_found', param: 'model' };
    check(JSON.stringify(fields) === JSON.stringify(expected), `error fields ${JSON.stringify(fields)}`);
    return;
  }
  throw new Error('an unknown model did not fail');
}

try {
  await models();
  const plain = await plainChat();
  const streamed = await streamingChat();
  await unknownModelIsNotFound();
  console.log(`sdk-check: ok; chat ${JSON.stringify(plain)}, stream ${JSON.stringify(streamed)}`);
} catch (e) {
  console.error(`sdk-check: FAILED: ${e?.stack ?? e}`);
  process.exit(1);
}

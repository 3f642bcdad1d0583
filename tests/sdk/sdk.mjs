// sdk.mjs - one real SDK call sequence through cliproxy (test_sdk.sh).
//
//   node sdk.mjs <scenario> <port> <client key>
//
// Scenarios: <sdk>-<what>, sdk in openai | responses | anthropic | genai,
// what in models | nonstream | stream | tool.  The mock upstream answers
// from tests/sdk/replies/<scenario>/; the texts checked here are the ones
// those replies carry.  Prints "ok: <detail>" and exits 0, or prints the
// failure and exits 1.  The SDKs never retry (maxRetries 0), so a failure
// is the first answer's.
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";

const [scenario, port, key] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const HELLO = "Hello from the mock.";
const WEATHER = "It is 21 degrees in Paris.";

function assert(cond, what) {
	if (!cond)
		throw new Error(what);
}

const weatherSchema = {
	type: "object",
	properties: { city: { type: "string", description: "City name" } },
	required: ["city"],
};
const ask = "What is the weather in Paris? Please call the get_weather tool.";

// ---- openai: Chat Completions (served by a Claude key) ----------------------
const OPENAI_MODEL = "claude-sonnet-4-6";
function openai() {
	return new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
}

const scenarios = {
	async "openai-models"() {
		const ids = [];
		for await (const m of openai().models.list())
			ids.push(m.id);
		assert(ids.includes(OPENAI_MODEL), `no ${OPENAI_MODEL} in ${ids.join(",")}`);
		return `${ids.length} models`;
	},
	async "openai-nonstream"() {
		const r = await openai().chat.completions.create({
			model: OPENAI_MODEL,
			messages: [{ role: "user", content: "Say hello" }],
		});
		assert(r.choices[0].message.content === HELLO, `content: ${JSON.stringify(r.choices[0].message)}`);
		assert(r.choices[0].finish_reason === "stop", `finish_reason ${r.choices[0].finish_reason}`);
		assert(r.usage && r.usage.total_tokens > 0, "no usage");
		return r.choices[0].message.content;
	},
	async "openai-stream"() {
		const s = await openai().chat.completions.create({
			model: OPENAI_MODEL,
			messages: [{ role: "user", content: "Say hello" }],
			stream: true,
			stream_options: { include_usage: true },
		});
		let text = "", usage = null, finish = null;
		for await (const ch of s) {
			if (ch.usage)
				usage = ch.usage;
			for (const c of ch.choices) {
				text += c.delta.content || "";
				finish = c.finish_reason || finish;
			}
		}
		assert(text === HELLO, `text: ${text}`);
		assert(finish === "stop", `finish_reason ${finish}`);
		assert(usage && usage.total_tokens > 0, "no usage chunk");
		return text;
	},
	async "openai-tool"() {
		const c = openai();
		const tools = [{ type: "function", function: { name: "get_weather", description: "Get weather", parameters: weatherSchema } }];
		const messages = [{ role: "user", content: ask }];
		const r1 = await c.chat.completions.create({ model: OPENAI_MODEL, messages, tools });
		const m1 = r1.choices[0].message;
		assert(r1.choices[0].finish_reason === "tool_calls", `finish_reason ${r1.choices[0].finish_reason}`);
		const call = m1.tool_calls && m1.tool_calls[0];
		assert(call && call.function.name === "get_weather", `tool_calls: ${JSON.stringify(m1)}`);
		assert(JSON.parse(call.function.arguments).city === "Paris", `arguments ${call.function.arguments}`);
		messages.push(m1, { role: "tool", tool_call_id: call.id, content: '{"temp_c":21}' });
		const r2 = await c.chat.completions.create({ model: OPENAI_MODEL, messages, tools });
		assert(r2.choices[0].message.content === WEATHER, `content: ${JSON.stringify(r2.choices[0].message)}`);
		return `call ${call.id}`;
	},

	// ---- openai: Responses (served by a Codex key) -----------------------
	async "responses-nonstream"() {
		const r = await openai().responses.create({ model: "gpt-5", input: "Say hello", instructions: "Be brief." });
		assert(r.output_text === HELLO, `output_text: ${r.output_text}`);
		assert(r.status === "completed", `status ${r.status}`);
		return r.output_text;
	},
	async "responses-stream"() {
		const s = await openai().responses.create({ model: "gpt-5", input: [{ role: "user", content: "Say hello" }], stream: true });
		let text = "", done = null;
		for await (const ev of s) {
			if (ev.type === "response.output_text.delta")
				text += ev.delta;
			if (ev.type === "response.completed")
				done = ev.response;
		}
		assert(text === HELLO, `text: ${text}`);
		assert(done && done.status === "completed", "no response.completed");
		return text;
	},
	async "responses-tool"() {
		const c = openai();
		const tools = [{ type: "function", name: "get_weather", description: "Get weather", parameters: weatherSchema, strict: false }];
		const input = [{ role: "user", content: ask }];
		const r1 = await c.responses.create({ model: "gpt-5", input, tools });
		const call = r1.output.find((o) => o.type === "function_call");
		assert(call && call.name === "get_weather", `output: ${JSON.stringify(r1.output)}`);
		input.push(call, { type: "function_call_output", call_id: call.call_id, output: '{"temp_c":21}' });
		const r2 = await c.responses.create({ model: "gpt-5", input, tools });
		assert(r2.output_text === WEATHER, `output_text: ${r2.output_text}`);
		return `call ${call.call_id}`;
	},

	// ---- @anthropic-ai/sdk (served by a Gemini key) ----------------------
	async "anthropic-models"() {
		const c = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
		const ids = [];
		for await (const m of c.models.list())
			ids.push(m.id);
		assert(ids.includes("gemini-2.5-flash"), `no gemini-2.5-flash in ${ids.join(",")}`);
		return `${ids.length} models`;
	},
	async "anthropic-nonstream"() {
		const c = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
		const r = await c.messages.create({ model: "gemini-2.5-flash", max_tokens: 256, messages: [{ role: "user", content: "Say hello" }] });
		assert(r.content[0].type === "text" && r.content[0].text === HELLO, `content: ${JSON.stringify(r.content)}`);
		assert(r.stop_reason === "end_turn", `stop_reason ${r.stop_reason}`);
		return r.content[0].text;
	},
	async "anthropic-stream"() {
		const c = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
		let text = "";
		const s = c.messages.stream({ model: "gemini-2.5-flash", max_tokens: 256, system: "Be brief.", messages: [{ role: "user", content: "Say hello" }] });
		s.on("text", (t) => { text += t; });
		const m = await s.finalMessage();
		assert(text === HELLO, `text: ${text}`);
		assert(m.stop_reason === "end_turn", `stop_reason ${m.stop_reason}`);
		assert(m.usage.output_tokens > 0, "no usage");
		return text;
	},
	async "anthropic-tool"() {
		const c = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
		const tools = [{ name: "get_weather", description: "Get weather", input_schema: weatherSchema }];
		const messages = [{ role: "user", content: ask }];
		const r1 = await c.messages.create({ model: "gemini-2.5-flash", max_tokens: 256, tools, messages });
		const use = r1.content.find((b) => b.type === "tool_use");
		assert(r1.stop_reason === "tool_use", `stop_reason ${r1.stop_reason}`);
		assert(use && use.name === "get_weather" && use.input.city === "Paris", `content: ${JSON.stringify(r1.content)}`);
		messages.push({ role: "assistant", content: r1.content },
			{ role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: '{"temp_c":21}' }] });
		const r2 = await c.messages.create({ model: "gemini-2.5-flash", max_tokens: 256, tools, messages });
		assert(r2.content[0].text === WEATHER, `content: ${JSON.stringify(r2.content)}`);
		return `tool_use ${use.id}`;
	},

	// ---- @google/genai (served by an OpenAI-compatible upstream) ----------
	async "genai-models"() {
		const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: base } });
		const names = [];
		const pager = await ai.models.list();
		for await (const m of pager)
			names.push(m.name);
		assert(names.some((n) => n === "models/qwen3-coder-plus" || n === "qwen3-coder-plus"), `names: ${names.join(",")}`);
		return `${names.length} models`;
	},
	async "genai-nonstream"() {
		const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: base } });
		const r = await ai.models.generateContent({ model: "qwen3-coder-plus", contents: "Say hello", config: { systemInstruction: "Be brief." } });
		assert(r.text === HELLO, `text: ${r.text}`);
		return r.text;
	},
	async "genai-stream"() {
		const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: base } });
		const s = await ai.models.generateContentStream({ model: "qwen3-coder-plus", contents: "Say hello" });
		let text = "", finish = null;
		for await (const ch of s) {
			text += ch.text || "";
			finish = (ch.candidates && ch.candidates[0].finishReason) || finish;
		}
		assert(text === HELLO, `text: ${text}`);
		assert(finish === "STOP", `finishReason ${finish}`);
		return text;
	},
	async "genai-tool"() {
		const ai = new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: base } });
		const tools = [{ functionDeclarations: [{ name: "get_weather", description: "Get weather", parametersJsonSchema: weatherSchema }] }];
		const contents = [{ role: "user", parts: [{ text: ask }] }];
		const r1 = await ai.models.generateContent({ model: "qwen3-coder-plus", contents, config: { tools } });
		const fc = r1.functionCalls && r1.functionCalls[0];
		assert(fc && fc.name === "get_weather" && fc.args.city === "Paris", `functionCalls: ${JSON.stringify(r1.functionCalls)}`);
		contents.push(r1.candidates[0].content,
			{ role: "user", parts: [{ functionResponse: { id: fc.id, name: fc.name, response: { temp_c: 21 } } }] });
		const r2 = await ai.models.generateContent({ model: "qwen3-coder-plus", contents, config: { tools } });
		assert(r2.text === WEATHER, `text: ${r2.text}`);
		return `functionCall ${fc.name}`;
	},
};

const fn = scenarios[scenario];
if (!fn) {
	console.log(`unknown scenario ${scenario}; known: ${Object.keys(scenarios).join(" ")}`);
	process.exit(2);
}
try {
	console.log(`ok: ${await fn()}`);
} catch (e) {
	console.log(`${e.constructor.name}: ${e.message}`.slice(0, 2000));
	process.exit(1);
}

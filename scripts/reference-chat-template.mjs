// The reference the chat-template tests compare against: transformers.js (@huggingface/transformers,
// installed by scripts/fetch-test-assets into .test-assets/node), run fully offline.
//
//   node scripts/reference-chat-template.mjs TOKENIZER_DIR CASES_JSON
//
// CASES_JSON holds {"conversations": [{"messages": [...], "tools": [...]|null,
// "add_generation_prompt": bool}, ...], "texts": ["...", ...]} (either list may be absent).
// Prints one JSON object on stdout: {"conversations": [{"rendered": "...", "ids": [...]} or
// {"error": "..."}, ...], "texts": [[ids...], ...]}.
//  - rendered: tokenizer.apply_chat_template(messages, {tokenize: false, add_generation_prompt, tools})
//  - ids: the ids apply_chat_template(..., {tokenize: true}) gives, i.e. the rendering encoded with
//    add_special_tokens=false (the template itself writes BOS where it wants one)
//  - texts: each text encoded with add_special_tokens=false.
// With "detail": true at the top of CASES_JSON, each conversation also gets
//  - token_ends: for each token j, the UTF-16 length of the longest common prefix of the rendering
//    and decode(ids[0..j]) (a token that ends inside a character ends where the character begins).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nodeDir = path.join(root, '.test-assets', 'node');

const [tokenizerDir, casesFile] = process.argv.slice(2);
if (!tokenizerDir || !casesFile) {
    console.error('usage: node scripts/reference-chat-template.mjs TOKENIZER_DIR CASES_JSON');
    process.exit(2);
}

let transformers;
try {
    const require = createRequire(path.join(nodeDir, 'package.json'));
    const entry = require.resolve('@huggingface/transformers');
    transformers = await import(pathToFileURL(entry).href);
} catch (e) {
    console.error(`reference-chat-template: cannot load @huggingface/transformers from ${nodeDir}`
        + ` (run scripts/fetch-test-assets): ${e.message}`);
    process.exit(3);
}
const { AutoTokenizer, env } = transformers;
env.allowRemoteModels = false;
env.allowLocalModels = true;
const dir = path.resolve(tokenizerDir);
env.localModelPath = path.dirname(dir) + path.sep;
const tokenizer = await AutoTokenizer.from_pretrained(path.basename(dir));

const cases = JSON.parse(readFileSync(casesFile, 'utf8'));
const out = { conversations: [], texts: [] };
for (const c of cases.conversations ?? []) {
    try {
        const options = { tokenize: false, add_generation_prompt: !!c.add_generation_prompt };
        if (c.tools !== undefined && c.tools !== null) options.tools = c.tools;
        const rendered = tokenizer.apply_chat_template(c.messages, options);
        const ids = tokenizer.encode(rendered, { add_special_tokens: false });
        const entry = { rendered, ids: Array.from(ids, Number) };
        if (cases.detail) {
            entry.token_ends = [];
            for (let j = 1; j <= entry.ids.length; j++) {
                const d = tokenizer.decode(entry.ids.slice(0, j), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
                let n = 0;
                const m = Math.min(d.length, rendered.length);
                while (n < m && d.charCodeAt(n) === rendered.charCodeAt(n)) n++;
                // A decoded U+FFFD for an unfinished byte sequence does not match: such a token ends
                // where its character begins, and the token completing the character covers it.
                entry.token_ends.push(n);
            }
        }
        out.conversations.push(entry);
    } catch (e) {
        out.conversations.push({ error: String(e && e.message ? e.message : e) });
    }
}
for (const t of cases.texts ?? []) {
    out.texts.push(Array.from(tokenizer.encode(t, { add_special_tokens: false }), Number));
}
process.stdout.write(JSON.stringify(out));

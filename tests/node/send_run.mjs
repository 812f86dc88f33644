// runcontract's command protocol with the npm `openai` package as the client under test.
//
// Environment: RUNCONTRACT_BASE_URL (ends with /v1), RUNCONTRACT_THREAD_ID, RUNCONTRACT_API_KEY;
// the CreateRunRequest payload as JSON on stdin. Exit 0 = sent, 3 = refused cleanly,
// 4 = the payload holds a value JavaScript cannot represent (a capability gap of the
// language, not of the SDK), anything else = crashed.
import OpenAI from "openai";

const REJECTED = 3;
const CANNOT_EXPRESS = 4;

// The number tokens of a JSON text, outside strings (stdin is exact: NaN/Infinity appear as tokens).
function numberTokens(text) {
  const out = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (/[-0-9NI]/.test(c)) {
      const match = /^-?(?:NaN|Infinity|[0-9][0-9.eE+-]*)/.exec(text.slice(i, i + 400));
      if (match) {
        out.push(match[0]);
        i += match[0].length - 1;
      }
    }
  }
  return out;
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
for (const token of numberTokens(input)) {
  const integral = /^-?[0-9]+$/.test(token);
  if (/NaN|Infinity/.test(token) || (integral && !Number.isSafeInteger(Number(token)))) {
    console.error(`cannot express: ${token} is not a JavaScript number that JSON carries exactly`);
    process.exit(CANNOT_EXPRESS);
  }
}
const payload = JSON.parse(input);

if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
  // The SDK takes the body as an object of params: a non-object body cannot be expressed.
  console.error("refused: the payload is not a JSON object");
  process.exit(REJECTED);
}

const client = new OpenAI({
  apiKey: process.env.RUNCONTRACT_API_KEY,
  baseURL: process.env.RUNCONTRACT_BASE_URL,
  maxRetries: 0,
  timeout: 10_000,
});

try {
  const result = await client.beta.threads.runs.create(process.env.RUNCONTRACT_THREAD_ID, payload);
  if (payload.stream === true) {
    for await (const _event of result) {
      // drain the event stream so the SDK parses all of it
    }
  }
} catch (error) {
  if (error instanceof OpenAI.OpenAIError && !(error instanceof OpenAI.APIError)) {
    console.error(`refused: ${error.message}`);
    process.exit(REJECTED);
  }
  throw error;
}

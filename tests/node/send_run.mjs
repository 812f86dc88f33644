// runcontract's command protocol with the npm `openai` package as the client under test.
//
// Environment: RUNCONTRACT_BASE_URL (ends with /v1), RUNCONTRACT_THREAD_ID, RUNCONTRACT_API_KEY;
// the CreateRunRequest payload as JSON on stdin. Exit 0 = sent, 3 = refused cleanly,
// anything else = crashed.
import OpenAI from "openai";

const REJECTED = 3;

let input = "";
for await (const chunk of process.stdin) input += chunk;
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

// An answer that should be JSON, for showing on a page: its value (null when it is not JSON)
// and its text, pretty-printed when it parses and cut at `limit` characters.
export async function readJsonAnswer(response, limit) {
  const raw = await response.text();
  let value = null;
  let text = raw;
  try {
    value = JSON.parse(raw);
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    value = null;
  }
  return { value, text: text.length > limit ? `${text.slice(0, limit)}\n…` : text };
}

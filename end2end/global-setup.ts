// Waits until the server under test is ready (database reachable, migrations applied).
export default async function globalSetup() {
  const base = process.env.BASE_URL || "http://127.0.0.1:3000";
  const deadline = Date.now() + 60_000;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server at ${base} not ready after 60 s: ${last}`);
}

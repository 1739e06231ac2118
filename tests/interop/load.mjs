// Edit-to-visible latency and throughput of a sync server under load from official JavaScript
// automerge-repo 2.5 clients (the packages pinned in this folder): the counterpart of
// sync-server/benches/relay_latency.rs, which drives servers with Rapport's own Rust client.
//
//   node load.mjs [NAME=value …]        (settings as arguments or environment variables)
//
//   URL      the server. `ws://127.0.0.1:3030` for a plain automerge-repo server such as
//            @automerge/automerge-repo-sync-server (every client connects to that URL);
//            `http://127.0.0.1:8080` for Rapport's relay: accounts and a workspace are signed up there
//            and every socket gets its own ticket (ws://host:port/api/sync?ticket=…).
//   SERVER   `rapport` or `js`: what URL is (default: rapport for http:// URLs, js otherwise).
//   CLIENTS  repos, one websocket each (default 100)     DOCS    documents they share (default 10)
//   SECONDS  measured seconds (default 20)                GRACE   seconds to wait for late edits (2)
//   PROCS    node processes sharing the clients (default 1: one program holding every repo)
//   SOCKETS_PER_ACCOUNT  Rapport only: sockets opened per account (default 30, under the relay's
//            default limit of 32); more clients sign up more accounts, invited as members.
//   SERVER_PID  if set, the server's CPU use during the run is reported too (Linux /proc).
//
// One extra repo creates the documents (automerge-repo ids) and waits until the server holds them,
// then leaves. Client i syncs document i % DOCS; once every client holds its document, each writes the
// time into its own key of it once a second (staggered), and every other client of the document
// measures when that value reaches it (its handle's "change" event). Prints one line:
//
//   relay_latency_js server=… clients=… docs=… seconds=… procs=… delivered=… delivered_per_s=…
//     expected_per_s=… p50_ms=… p90_ms=… p99_ms=… max_ms=… send_p50_ms=… send_p99_ms=…
//     msgs_in_per_s=… msgs_out_per_s=… client_cpu_pct=… [server_cpu_pct=…]
//
// expected_per_s: what an instant server would deliver, edits × (clients of the document − 1) / s
// (an edit its writer overwrote before a reader saw it counts once, as the newer one).
// send_*: at the writer, from an edit to the socket write carrying it. automerge-repo sends a
// document's local changes at most once per 100 ms (DocSynchronizer's `syncDebounceRate`, a throttle
// that remote changes also trigger) unless a message from the server prompts a reply first: latency
// no server can remove. msgs_in/out: protocol messages all clients received/sent per second.
// client_cpu_pct: this program's CPU while measuring (100 = one core; near 100 with PROCS=1 the
// clients, not the server, are the limit).
import { fork } from "node:child_process"
import { readFileSync } from "node:fs"
import { randomUUID } from "node:crypto"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const now = () => performance.timeOrigin + performance.now()
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const settings = Object.fromEntries(
  process.argv.slice(2).filter(a => a.includes("=")).map(a => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]),
)
const setting = (name, fallback) => settings[name] ?? process.env[name] ?? fallback
// A ticket works once: a client must never reconnect with its URL.
const NO_RETRY = 3_600_000

function fail(message) {
  console.error(`load.mjs: ${message}`)
  process.exit(1)
}
// The websocket adapter throws from its error handler (a refused ticket, a wrong URL): say so and stop.
process.on("uncaughtException", error => fail(`${error.message} (is the server up, and URL/SERVER right?)`))

/** Waits until `check()` is truthy, polling; fails after `seconds`. */
async function until(what, check, seconds = 30) {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** A repo on one websocket, counting protocol messages; `onSend` sees each one it sends. */
function client(url, peerId, counts, onSend = () => {}) {
  const adapter = new WebSocketClientAdapter(url, NO_RETRY)
  adapter.on("message", () => counts.in++)
  const send = adapter.send.bind(adapter)
  adapter.send = message => {
    if (message.type !== "join") counts.out++
    onSend(message)
    return send(message)
  }
  const repo = new Repo({ network: [adapter], peerId })
  return { repo, adapter }
}

// --- setup: the server's socket URLs, and the documents ---

/** Rapport: accounts in one new workspace, and one ticket URL per socket. */
async function rapportSetup(base, count, perAccount) {
  const call = async (path, body, cookie) => {
    for (;;) {
      const headers = { "content-type": "application/json" }
      if (cookie) headers.cookie = cookie
      const response = await fetch(new URL(path, base), { method: "POST", headers, body: JSON.stringify(body) })
      const text = await response.text()
      if (response.status === 429) {
        // Sign-ups are rate-limited per address: wait as told.
        await sleep(1000 * Math.min(60, Number(response.headers.get("retry-after")) || 5))
        continue
      }
      if (!response.ok) fail(`POST ${path}: ${response.status} ${text}`)
      return { response, body: text ? JSON.parse(text) : null }
    }
  }
  const signUp = async n => {
    const email = `load-${Date.now()}-${process.pid}-${n}@example.test`
    const { response } = await call("/api/accounts", { email, name: `Load ${n}`, password: "correct horse battery staple" })
    const cookie = response.headers.getSetCookie().map(c => c.split(";")[0]).find(c => /rapport_session=/.test(c))
    if (!cookie) fail("sign-up set no rapport_session cookie")
    return cookie
  }
  const accounts = Math.ceil(count / perAccount)
  const owner = await signUp(0)
  const workspace = randomUUID()
  await call("/api/workspaces", { id: workspace, name: "Load" }, owner)
  const cookies = [owner]
  if (accounts > 1) {
    const { body } = await call(`/api/workspaces/${workspace}/invites`, { role: "member", uses: accounts - 1 }, owner)
    for (let n = 1; n < accounts; n++) {
      const cookie = await signUp(n)
      await call(`/api/invites/${encodeURIComponent(body.code)}`, {}, cookie)
      cookies.push(cookie)
    }
  }
  const ws = new URL(base)
  ws.protocol = base.protocol === "https:" ? "wss:" : "ws:"
  const urls = []
  for (let i = 0; i < count; i++) {
    const { body } = await call(`/api/workspaces/${workspace}/tickets`, {}, cookies[Math.floor(i / perAccount)])
    urls.push(`${ws.origin}/api/sync?ticket=${encodeURIComponent(body.ticket)}`)
  }
  return urls
}

/** Creates `docs` documents through one repo, and returns their URLs once the server holds them. */
async function createDocuments(url, docs) {
  const { repo, adapter } = client(url, `load-creator-${process.pid}`, { in: 0, out: 0 })
  const server = await until("the server's `peer` message", () => adapter.remotePeerId)
  const storage = repo.peerMetadataByPeerId[server]?.storageId
  const handles = []
  for (let d = 0; d < docs; d++) handles.push(repo.create({}))
  for (const handle of handles) handle.change(doc => { doc.created = now() })
  if (storage) {
    // The server's storage id came with its `peer` message: it holds a document once the sync
    // state reports our heads there.
    await until("the server to hold the documents", () =>
      handles.every(h => JSON.stringify(h.getSyncInfo(storage)?.lastHeads) === JSON.stringify(h.heads())))
  } else {
    await sleep(2000)
  }
  await sleep(200)
  repo.networkSubsystem.disconnect()
  return handles.map(h => h.url)
}

// --- the clients of one process ---

/**
 * Runs clients `first …` on `urls` (client i syncs document i % docs). `control.ready()` is awaited
 * once all hold their document and resolves to the start time (ms since the epoch, fractional).
 */
async function runClients({ first, urls, docUrls, seconds, grace }, control) {
  const docs = docUrls.length
  const counts = { in: 0, out: 0 }
  const latencies = []
  const sendDelays = []
  let edits = 0
  let window = { start: Infinity, end: -Infinity }
  const clients = urls.map((url, k) => {
    const c = { i: first + k, pending: undefined }
    c.mine = `c${c.i}`
    Object.assign(c, client(url, `load-${c.i}-${process.pid}`, counts, message => {
      // The first sync message about the document after an edit carries it.
      if (message.type === "sync" && c.pending !== undefined && message.documentId === c.handle?.documentId) {
        sendDelays.push(now() - c.pending)
        c.pending = undefined
      }
    }))
    return c
  })
  await until("every client's `peer` message", () => clients.every(c => c.adapter.remotePeerId), 60)
  await Promise.all(clients.map(async c => {
    const docUrl = docUrls[c.i % docs]
    let lastError
    for (let attempt = 0; attempt < 5 && !c.handle; attempt++) {
      try {
        c.handle = await c.repo.find(docUrl)
      } catch (error) {
        lastError = error
        await sleep(500)
      }
    }
    if (!c.handle) fail(`client ${c.i} could not find ${docUrl}: ${lastError}`)
    c.handle.on("change", ({ patches }) => {
      const arrived = now()
      if (arrived < window.start || arrived > window.end) return
      for (const patch of patches) {
        if (patch.action === "put" && patch.path.length === 1 && patch.path[0] !== c.mine
          && typeof patch.value === "number" && patch.value >= window.start) {
          latencies.push(arrived - patch.value)
        }
      }
    })
  }))
  const start = await control.ready()
  const stop = start + seconds * 1000
  window = { start, end: stop + grace * 1000 }
  for (const c of clients) {
    // Client i edits at start + (137 i mod 1000) ms, then once a second.
    let next = start + (137 * c.i) % 1000
    const edit = () => {
      const t = now()
      if (t >= stop) return
      c.pending ??= t
      c.handle.change(doc => { doc[c.mine] = now() })
      edits++
      next += 1000
      c.timer = setTimeout(edit, Math.max(0, next - now()))
    }
    c.timer = setTimeout(edit, Math.max(0, next - now()))
  }
  await sleep(start - now())
  const counted = { in: counts.in, out: counts.out }
  const cpu = process.cpuUsage()
  await sleep(stop - now())
  const cpuUsed = process.cpuUsage(cpu)
  const messages = { in: counts.in - counted.in, out: counts.out - counted.out }
  await sleep(window.end - now())
  for (const c of clients) {
    clearTimeout(c.timer)
    c.repo.networkSubsystem.disconnect()
  }
  return { latencies, sendDelays, edits, messages, cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6 }
}

function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

async function main() {
  const clients = Number(setting("CLIENTS", 100))
  const docs = Number(setting("DOCS", 10))
  const seconds = Number(setting("SECONDS", 20))
  const grace = Number(setting("GRACE", 2))
  const procs = Math.max(1, Math.min(Number(setting("PROCS", 1)), clients))
  const perAccount = Math.max(1, Number(setting("SOCKETS_PER_ACCOUNT", 30)))
  const url = setting("URL", "ws://127.0.0.1:3030")
  const server = setting("SERVER", /^https?:/.test(url) ? "rapport" : "js")
  const serverPid = setting("SERVER_PID", "")
  if (!(clients > 0 && docs > 0 && docs <= clients && seconds > 0)) fail("need 0 < DOCS <= CLIENTS and SECONDS > 0")
  // Setup and teardown are bounded too: a server that stalls ends the run with an error.
  setTimeout(() => fail("the run took far too long"), (seconds + grace + 240) * 1000).unref()

  const urls = server === "rapport"
    ? await rapportSetup(new URL(url.replace(/^ws/, "http")), clients + 1, perAccount)
    : Array(clients + 1).fill(url)
  const docUrls = await createDocuments(urls.pop(), docs)

  let cpuServer = NaN
  let began = NaN
  const startTime = () => {
    cpuServer = serverPid ? cpuOf(serverPid) : NaN
    began = now()
    return began + 500
  }
  let results
  if (procs === 1) {
    results = [await runClients({ first: 0, urls, docUrls, seconds, grace }, { ready: async () => startTime() })]
  } else {
    const per = Math.ceil(clients / procs)
    const workers = []
    for (let first = 0; first < clients; first += per) {
      const config = { first, urls: urls.slice(first, first + per), docUrls, seconds, grace }
      workers.push(fork(new URL(import.meta.url).pathname, [], {
        env: { ...process.env, LOAD_MJS_WORKER: JSON.stringify(config) },
      }))
    }
    const ready = workers.map(w => new Promise(resolve => w.on("message", m => m.ready && resolve())))
    const done = workers.map(w => new Promise(resolve => w.on("message", m => m.result && resolve(m.result))))
    for (const w of workers) w.on("exit", code => code && fail(`a worker exited with ${code}`))
    await Promise.all(ready)
    const start = startTime()
    for (const w of workers) w.send({ start })
    results = await Promise.all(done)
  }
  const serverCpu = serverPid ? cpuOf(serverPid) - cpuServer : NaN
  const elapsed = (now() - began) / 1000

  const sorted = key => results.flatMap(r => r[key]).sort((a, b) => a - b)
  const all = sorted("latencies")
  const sends = sorted("sendDelays")
  const pick = (list, q) => (list.length ? list[Math.floor((list.length - 1) * q)] : 0).toFixed(1)
  const edits = results.reduce((sum, r) => sum + r.edits, 0)
  // Readers per edit: the other clients of the writer's document.
  let readers = 0
  for (let i = 0; i < clients; i++) readers += Math.floor((clients - 1 - (i % docs)) / docs)
  const expected = readers * edits / clients
  const perSecond = n => (n / seconds).toFixed(0)
  const total = key => results.reduce((sum, r) => sum + r.messages[key], 0)
  const fields = [
    `server=${server}`, `clients=${clients}`, `docs=${docs}`, `seconds=${seconds}`, `procs=${procs}`,
    `delivered=${all.length}`, `delivered_per_s=${perSecond(all.length)}`, `expected_per_s=${perSecond(expected)}`,
    `p50_ms=${pick(all, 0.5)}`, `p90_ms=${pick(all, 0.9)}`, `p99_ms=${pick(all, 0.99)}`,
    `max_ms=${(all.at(-1) ?? 0).toFixed(1)}`, `send_p50_ms=${pick(sends, 0.5)}`, `send_p99_ms=${pick(sends, 0.99)}`,
    `msgs_in_per_s=${perSecond(total("in"))}`, `msgs_out_per_s=${perSecond(total("out"))}`,
    `client_cpu_pct=${(results.reduce((s, r) => s + r.cpuSeconds, 0) / seconds * 100).toFixed(0)}`,
  ]
  if (serverPid) fields.push(`server_cpu_pct=${(serverCpu / elapsed * 100).toFixed(0)}`)
  console.log(`relay_latency_js ${fields.join(" ")}`)
  process.exit(0)
}

if (process.env.LOAD_MJS_WORKER) {
  // A worker process (PROCS > 1): runs its share of the clients, started by the parent.
  const config = JSON.parse(process.env.LOAD_MJS_WORKER)
  let resolveStart
  process.on("message", message => message.start && resolveStart(message.start))
  const result = await runClients(config, {
    ready: () => new Promise(resolve => {
      resolveStart = resolve
      process.send({ ready: true })
    }),
  })
  process.send({ result }, () => process.exit(0))
} else {
  await main()
}

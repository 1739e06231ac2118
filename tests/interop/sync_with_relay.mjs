// A real automerge-repo 2.5 peer (the official JavaScript packages) talking to the Rapport relay.
//
//   node sync_with_relay.mjs <ws url with ticket> create <name>   creates a document, prints its id,
//                                                                   stays connected until killed
//   node sync_with_relay.mjs <ws url with ticket> read <doc id>   prints the document as JSON, exits
//   node sync_with_relay.mjs <ws url> gossip <second ws url>       heads gossip between two peers through
//                                                                   the relay: prints what the watcher
//                                                                   heard as JSON, exits (1 on a timeout)
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const [url, mode, arg] = process.argv.slice(2)
// A ticket works once: never reconnect with it.
const connect = (url) => new WebSocketClientAdapter(url, 3_600_000)

/** Storage kept in memory: enough for the repo to have a storage id others can subscribe to. */
class MemoryStorage {
  #data = new Map()
  async load(key) { return this.#data.get(key.join("/")) }
  async save(key, data) { this.#data.set(key.join("/"), data) }
  async remove(key) { this.#data.delete(key.join("/")) }
  async loadRange(prefix) {
    const start = prefix.join("/")
    return [...this.#data].filter(([k]) => k.startsWith(start)).map(([k, data]) => ({ key: k.split("/"), data }))
  }
  async removeRange(prefix) {
    const start = prefix.join("/")
    for (const k of [...this.#data.keys()]) if (k.startsWith(start)) this.#data.delete(k)
  }
}

if (mode === "gossip") {
  // The writer keeps a storage; the watcher subscribes to the writer's storage and the relay's, and
  // must hear of the writer's new heads through the relay.
  const writer = new Repo({
    network: [connect(url)], storage: new MemoryStorage(), peerId: `writer-${process.pid}`,
    enableRemoteHeadsGossiping: true,
  })
  const watcher = new Repo({
    network: [connect(arg)], peerId: `watcher-${process.pid}`, enableRemoteHeadsGossiping: true,
  })
  const written = writer.create({ count: 0 })
  // The writer knows when the relay holds its document: the relay's storage id came with its `peer`.
  const until = async (what, check) => {
    const deadline = Date.now() + 10_000
    while (!check()) {
      if (Date.now() > deadline) { console.log(JSON.stringify({ timedOut: what })); process.exit(1) }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  await until("the relay to hold the document", () => {
    const relay = writer.peerMetadataByPeerId["rapport-relay"]?.storageId
    const synced = relay && written.getSyncInfo(relay)?.lastHeads
    return synced && JSON.stringify(synced) === JSON.stringify(written.heads())
  })
  const seen = await watcher.find(written.url)
  const writerStorage = await writer.storageId()
  const relayStorage = watcher.peerMetadataByPeerId["rapport-relay"]?.storageId
  const heard = new Map()
  seen.on("remote-heads", ({ storageId, heads }) => heard.set(storageId, heads))
  watcher.subscribeToRemotes([writerStorage])
  // Give the subscription a moment to reach the relay, then write.
  await new Promise(resolve => setTimeout(resolve, 300))
  written.change(doc => { doc.count = 1 })
  const expected = () => JSON.stringify(written.heads())
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (JSON.stringify(heard.get(writerStorage)) === expected()) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const result = {
    relayStorage: relayStorage ?? null,
    writerStorage,
    writerHeads: written.heads(),
    heardOfWriter: heard.get(writerStorage) ?? null,
    heardOfRelay: relayStorage ? heard.get(relayStorage) ?? null : null,
  }
  console.log(JSON.stringify(result))
  process.exit(JSON.stringify(result.heardOfWriter) === expected() ? 0 : 1)
}

const repo = new Repo({ network: [connect(url)], peerId: `node-${process.pid}` })

if (mode === "create") {
  const handle = repo.create({ name: arg })
  console.log(handle.documentId)
  // Stay connected so the relay can sync the document from us.
  setInterval(() => {}, 1000)
} else if (mode === "read") {
  const handle = await repo.find(`automerge:${arg}`)
  console.log(JSON.stringify(handle.doc()))
  process.exit(0)
} else {
  console.error(`unknown mode ${mode}`)
  process.exit(2)
}

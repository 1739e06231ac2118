// A real automerge-repo 2.5 peer (the official JavaScript packages) talking to the Rapport relay.
//
//   node sync_with_relay.mjs <ws url with ticket> create <name>   creates a document, prints its id,
//                                                                   stays connected until killed
//   node sync_with_relay.mjs <ws url with ticket> read <doc id>   prints the document as JSON, exits
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"

const [url, mode, arg] = process.argv.slice(2)
// A ticket works once: never reconnect with it.
const adapter = new WebSocketClientAdapter(url, 3_600_000)
const repo = new Repo({ network: [adapter], peerId: `node-${process.pid}` })

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

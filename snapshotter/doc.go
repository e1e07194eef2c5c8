// Package snapshotter owns crossdock's images on disk: the content store,
// the registry traffic that fills and empties it, and the unpacked layers
// containers run from.
//
// The store (Open) is an OCI image layout under $ROOT/content. Its
// index.json names images with the org.opencontainers.image.ref.name
// annotation, always by their full reference (registry included: a
// reference with no host belongs to DefaultRegistry, one with no tag gets
// :latest). Blobs are written to a temporary file, hashed on the way in,
// fsynced and renamed into place only if they match their digest, so a
// killed pull never leaves a corrupt blob behind a valid name. Several
// crossdock processes share a store through a flock on $ROOT/store.lock:
// shared while blobs are read or written, exclusive while index.json is
// rewritten or blobs are pruned.
//
// Pull and Push speak the OCI distribution API through go-containerregistry,
// with credentials from the Docker config and its credential helpers, and
// retries on server errors and dropped connections. When the default
// registry is a loopback address and nothing answers there, they start the
// embedded registry (NewRegistry, ServeRegistry) in-process for the length
// of the call, with its data in $ROOT/registry. That registry keeps blobs
// and manifests on disk and answers HTTP range requests on blobs.
//
// SelectManifest picks the entry of an index for a platform: linux/arm
// means linux/arm/v7, a missing variant is the default one, v7 falls back
// to v6 then v5, the architecture never changes (arm64 and 386 are not
// fallbacks), attestation entries are never platforms, and the order of
// the entries never changes the choice.
//
// Save and Load move images through tar files that docker load reads.
package snapshotter

// Package tagpack reads and writes GraphSense TagPacks and ActorPacks, the
// YAML format the GraphSense community uses to share attribution tags with a
// source and a confidence level on every tag.
//
// Reading a pack has three steps, kept apart so that a caller can stop after
// any of them:
//
//   - ReadFile (or Decode) parses one YAML file, resolving "!include" of a
//     shared header, into a TagPack that keeps every field as written.
//   - TagPack.Validate applies the rules of the GraphSense TagPack tool's
//     schema (mandatory fields, types, confidence levels and concept ids
//     from its taxonomies). Those rules and taxonomies are written in this
//     package as Go data (schema.go, taxonomy.go); a test checks them
//     against the tool's own files so drift is caught.
//   - TagPack.Convert turns the tags into intel.Tag values. It is stricter
//     than the GraphSense tool: every address must be valid for its chain
//     (checksums included), because a tag on a mistyped address would
//     silently attribute nothing, or the wrong account. A mixed-case EVM
//     address with a bad EIP-55 checksum is only a warning: the address is
//     still well formed, only its capitalisation is suspect. The checks,
//     canonical forms and chain ids are package addrcheck's, the same the
//     SDN and label importers use, so one address from any of them makes
//     one subject.
//
// Encode and EncodeActors write the model back as packs; decoding what they
// write gives back the same tags and actors.
//
// Packs are handled one file at a time so memory stays bounded by the
// largest file, not by the collection.
package tagpack

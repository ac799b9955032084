//! The integration tests of `hotsock`, in one binary.

mod moto; // the moto server (Lambda Invoke + STS) the publishing tests run against
mod support;
mod verify; // an independent verifier: jsonwebtoken (RustCrypto backend) and p521 for ES512 // fixture keys, a pinned clock and the independent verifiers (jsonwebtoken, p521)

#[cfg(feature = "blocking")]
mod blocking; // the blocking facade, from plain threads and from inside a runtime's blocking section
mod config; // building a Config: every option, env variables, validation errors naming the field
mod faults; // 429, 500, resets, stalls, 404, 403 and the STS exchange, from a scripted loopback server
mod gem; // tokens byte for byte as the Ruby gem issues them (golden vectors made with Ruby)
mod global; // the process-wide default instance: configure / issue_token
mod issue; // every algorithm x every key form, verified independently, exact header and claims
mod message; // the exact JSON of a message; every documented rule refused, attribute named
mod publish; // publishing against moto with signature checking on: every credential source, errors
mod refusals; // every refused key, algorithm and claim set, by error kind; nothing panics
mod secrets; // no secret in Debug, Display or errors

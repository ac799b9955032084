//! The integration tests of `hotsock`, in one binary.

mod support; // fixture keys, a pinned clock and the independent verifiers (jsonwebtoken, p521)

mod config; // building a Config: every option, env variables, validation errors naming the field
mod gem; // tokens byte for byte as the Ruby gem issues them (golden vectors made with Ruby)
mod global; // the process-wide default instance: configure / issue_token
mod issue; // every algorithm x every key form, verified independently, exact header and claims
mod refusals; // every refused key, algorithm and claim set, by error kind; nothing panics
mod secrets; // no secret in Debug, Display or errors

//! NS8 agent plumbing for the module's action steps and helpers: the `environment` file, the agent
//! command fd, step input/output and logging, Redis connections, service-provider lookups and
//! `agent.tasks.run` over the api-server HTTP API. Each module mirrors one part of the Python `agent`
//! library described in `ns8-runtime.md` §1 and §2.

pub mod api;
pub mod comfd;
pub mod envfile;
pub mod log;
pub mod providers;
pub mod redis_conn;
pub mod step_io;

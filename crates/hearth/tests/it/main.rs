//! Hearth's integration tests: the real server on a random port, driven over HTTP as a browser
//! or partner system would, against a fresh database. `HEARTH_TEST_BACKEND=postgres` runs the
//! same tests against PostgreSQL (see `.ci/run`).

mod access_matrix;
mod api;
mod audit;
mod auth;
mod blind_index;
mod busy;
mod cancellation;
mod casework;
mod cli;
mod common;
mod crash;
mod defects;
mod demo;
mod encryption;
mod firewall;
mod forms;
mod isolation;
mod key_rotation;
mod lists;
mod next_due;
mod practitioner_day;
mod programmes;
mod referrals;
mod risk;
mod route_matrix;
mod security;
mod submissions;

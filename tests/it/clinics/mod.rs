//! Every figure per clinic: codes in `[[clinics]]`, findings attributed to
//! the clinic whose code the data carries, judged per clinic.

mod config;

package main

// Campaign windows are read in each recipient's time zone: the zone
// database is built in, so they work on hosts and images without one.
import _ "time/tzdata"

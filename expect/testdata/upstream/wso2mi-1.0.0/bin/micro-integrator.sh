#!/bin/sh
# Marks the home as a Micro Integrator; MI 1.0's own script text is not in the
# source index carbonprobe's homes were built from (see ../../README.md).

"""The packaging check: build the wheel and sdist, install them fresh, smoke-test each install."""

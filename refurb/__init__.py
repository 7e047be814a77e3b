"""refurb: refurbish donated laptops and keep a trustworthy inventory of them."""

__version__ = "0.1.0"

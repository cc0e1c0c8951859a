"""Marketplaces without a listing API for individual sellers (Facebook Marketplace, OfferUp
without a partner, Mercari, Poshmark, Depop, Craigslist): the bot hands the seller a ready kit
in chat, tracks the copy once its link is pasted, and reminds the seller to end it or change it
there whenever the item sells, ends or changes anywhere else."""

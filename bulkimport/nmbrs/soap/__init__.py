"""Nmbrs SOAP v3: the operation table, codec, envelope and the aiohttp transport."""

"""One path per telephony platform, each speaking its documented protocol (docs/telephony.md)."""

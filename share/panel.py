"""The share panel: a curator's link per channel, each channel's own share intent, and QR codes."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask_babel import lazy_gettext as _l

from share.models import Channel, ShareLink

#: The names people know each channel by in their language (WeChat is 微信 to a Chinese reader).
CHANNEL_LABELS = {
    Channel.WHATSAPP: "WhatsApp", Channel.WECHAT: _l("WeChat"), Channel.WEIBO: _l("Weibo"), Channel.FACEBOOK: "Facebook",
    Channel.X: "X", Channel.TELEGRAM: "Telegram", Channel.EMAIL: _l("E-mail"), Channel.COPY: _l("Link"),
}


def intent_url(channel: Channel, url: str, text: str, title: str) -> str | None:
    """The channel's own "share this" address, prefilled; None for WeChat (QR code) and plain copy."""
    match channel:
        case Channel.WHATSAPP:
            return "https://wa.me/?" + urlencode({"text": f"{text} {url}"}, quote_via=quote)
        case Channel.FACEBOOK:
            return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}, quote_via=quote)
        case Channel.X:
            return "https://x.com/intent/post?" + urlencode({"text": text, "url": url}, quote_via=quote)
        case Channel.WEIBO:
            return "https://service.weibo.com/share/share.php?" + urlencode({"url": url, "title": text}, quote_via=quote)
        case Channel.TELEGRAM:
            return "https://t.me/share/url?" + urlencode({"url": url, "text": text}, quote_via=quote)
        case Channel.EMAIL:
            return "mailto:?" + urlencode({"subject": title, "body": f"{text}\n\n{url}"}, quote_via=quote)
    return None


@dataclass(frozen=True)
class ChannelShare:
    channel: Channel
    label: str
    url: str
    code: str
    intent: str | None


@dataclass(frozen=True)
class SharePanel:
    title: str
    text: str
    channels: list[ChannelShare]

    @property
    def wechat(self) -> ChannelShare:
        return next(c for c in self.channels if c.channel is Channel.WECHAT)

    @property
    def copy(self) -> ChannelShare:
        return next(c for c in self.channels if c.channel is Channel.COPY)


def build_panel(links: dict[Channel, ShareLink], *, base_url: str, title: str, text: str) -> SharePanel:
    channels = []
    for channel in Channel:
        link = links[channel]
        url = f"{base_url}/s/{link.code}"
        label = str(CHANNEL_LABELS[channel])  # in the reader's language, now
        channels.append(ChannelShare(channel, label, url, link.code, intent_url(channel, url, text, title)))
    return SharePanel(title=title, text=text, channels=channels)

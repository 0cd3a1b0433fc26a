"""An embedded Celery broker on the file system, safe across processes.

kombu's ``filesystem`` transport creates a message file and then writes into
it, so a worker polling the folder can pick up an empty file and die. This
transport writes each message under a temporary name and ``os.replace``-s it
into place, which is atomic on POSIX: a consumer sees a whole message or none.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for folder in {
            self.data_folder_in,
            self.data_folder_out,
            self.processed_folder,
            self.control_folder,
        }:
            os.makedirs(folder, exist_ok=True)

    def _put(self, queue, payload, **kwargs):
        """Put ``payload`` onto ``queue`` atomically."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + ".tmp"  # never matches a queue's "<queue>.msg" suffix
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = "filesystem"
    driver_name = "fsatomic"

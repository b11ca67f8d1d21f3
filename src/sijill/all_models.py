"""Import every context's tables so Base.metadata is complete (Alembic, tests)."""

from sijill.access import models as access_models
from sijill.db import Base
from sijill.dci import models as dci_models
from sijill.enrollment import models as enrollment_models
from sijill.linkage import models as linkage_models
from sijill.population import models as population_models
from sijill.programmes import models as programme_models
from sijill.quality import models as quality_models
from sijill.social_registry import models as social_registry_models
from sijill.territory import models as territory_models
from sijill.web import models as web_models

__all__ = [
    "Base",
    "access_models",
    "dci_models",
    "enrollment_models",
    "linkage_models",
    "population_models",
    "programme_models",
    "quality_models",
    "social_registry_models",
    "territory_models",
    "web_models",
]

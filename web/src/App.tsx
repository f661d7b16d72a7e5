import { Route, Routes } from "react-router-dom";
import { Shell } from "./shell/Shell";
import { DashboardPage } from "./pages/DashboardPage";
import { GeneratorPage } from "./pages/GeneratorPage";
import { ReviewPage } from "./pages/ReviewPage";
import { PluginsPage } from "./pages/PluginsPage";
import { SettingsPage } from "./pages/SettingsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { PipelinesPage } from "./pipelines/PipelinesPage";
import { EditorPage } from "./pipelines/EditorPage";

/** The routes, inside the shell (header, navigation, job indicator, theme). */
export function App() {
  return (
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<DashboardPage />} />
        <Route path="pipelines" element={<PipelinesPage />} />
        <Route path="pipelines/new" element={<EditorPage />} />
        <Route path="pipelines/:id" element={<EditorPage />} />
        <Route path="generator" element={<GeneratorPage />} />
        <Route path="review" element={<ReviewPage />} />
        <Route path="plugins" element={<PluginsPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
